using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Manifests;

/// <summary>Reads one item of a job from its manifest page, keeping the last few pages of each silo in memory
/// (videos of a job start in order, so consecutive items share a page).</summary>
public sealed class ManifestReader
{
    private readonly IBlobStore _blobs;
    private readonly int _capacity;
    private readonly LinkedList<(string Key, Task<JobItem[]> Page)> _pages = new();
    private readonly Lock _lock = new();

    public ManifestReader(IBlobStore blobs, IOptions<FarmOptions> options)
    {
        _blobs = blobs;
        _capacity = Math.Max(1, options.Value.ManifestPageCache);
    }

    /// <summary>The item, with its video id resolved (the user's id, else the id derived from job and index).</summary>
    public async Task<JobItem> ReadItemAsync(JobDefinition job, int itemIndex, CancellationToken cancellationToken = default)
    {
        var item = await ReadItemAsync(job.Manifest, itemIndex, cancellationToken);
        return item.VideoId.Length > 0 ? item : item with { VideoId = VideoKey.DefaultVideoId(job.JobId, itemIndex) };
    }

    public async Task<JobItem> ReadItemAsync(ManifestLocation manifest, int itemIndex, CancellationToken cancellationToken = default)
    {
        if (itemIndex < 0 || itemIndex >= manifest.ItemCount) throw new ArgumentOutOfRangeException(nameof(itemIndex), $"Item {itemIndex} is outside the job's {manifest.ItemCount} items.");
        int page = manifest.PageOf(itemIndex);
        var items = await PageAsync(manifest, page, cancellationToken);
        int offset = itemIndex - page * manifest.PageSize;
        if (offset >= items.Length || items[offset].Index != itemIndex)
            throw new InvalidDataException($"Manifest page {manifest.PageName(page)} does not hold item {itemIndex}.");
        return items[offset];
    }

    private Task<JobItem[]> PageAsync(ManifestLocation manifest, int page, CancellationToken cancellationToken)
    {
        var key = $"{manifest.Container}/{manifest.PageName(page)}";
        lock (_lock)
        {
            for (var node = _pages.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                if (node.Value.Page.IsFaulted) { _pages.Remove(node); break; }
                _pages.Remove(node);
                _pages.AddFirst(node);
                return node.Value.Page;
            }
            var load = LoadAsync(manifest.Container, manifest.PageName(page), cancellationToken);
            _pages.AddFirst((key, load));
            while (_pages.Count > _capacity) _pages.RemoveLast();
            return load;
        }
    }

    private async Task<JobItem[]> LoadAsync(string container, string name, CancellationToken cancellationToken)
    {
        var data = await _blobs.TryReadAsync(container, name, cancellationToken)
                   ?? throw new InvalidDataException($"Manifest page {container}/{name} is missing.");
        var items = new List<JobItem>();
        using var reader = new StringReader(data.ToString());
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            items.Add(JsonSerializer.Deserialize<JobItem>(line, FarmJson.Options) ?? throw new InvalidDataException($"Manifest page {name}: empty line."));
        }
        return items.ToArray();
    }

    /// <summary>Serialises items as one page (JSON lines).</summary>
    public static BinaryData WritePage(IEnumerable<JobItem> items)
    {
        using var stream = new MemoryStream();
        foreach (var item in items)
        {
            JsonSerializer.Serialize(stream, item, FarmJson.Options);
            stream.WriteByte((byte)'\n');
        }
        return BinaryData.FromBytes(stream.ToArray());
    }
}
