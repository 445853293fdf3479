using System.Text;
using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;

namespace HiStream.Grains.Jobs;

/// <summary>A job's progress events in blob storage, so watchers keep their history and event ids across a failover
/// or reactivation: JSON lines in append blobs <c>events/&lt;job&gt;/NNNNNN.jsonl</c> of the jobs container, one
/// blob per <see cref="SegmentSize"/> sequence numbers (an append blob takes at most 50,000 appends; each append
/// carries at least one event). One writer per job (the job grain); a retried append can repeat lines, so readers
/// skip sequences they have already seen.</summary>
public sealed class ProgressJournal
{
    public const int SegmentSize = 10_000;
    private readonly IBlobStore _blobs;
    private readonly string _container;
    private readonly string _folder;

    public ProgressJournal(IBlobStore blobs, string container, string jobId)
    {
        _blobs = blobs;
        _container = container;
        _folder = $"events/{jobId}/";
    }

    public static long SegmentOf(long sequence) => (sequence - 1) / SegmentSize;

    public string SegmentName(long segment) => $"{_folder}{segment:D6}.jsonl";

    /// <summary>Appends events (ascending sequences) with one append per segment touched.</summary>
    public async Task AppendAsync(IReadOnlyList<ProgressEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var group in events.GroupBy(e => SegmentOf(e.Sequence)))
        {
            var text = new StringBuilder();
            foreach (var e in group) text.Append(JsonSerializer.Serialize(e, FarmJson.Options)).Append('\n');
            await _blobs.AppendAsync(_container, SegmentName(group.Key), BinaryData.FromString(text.ToString()), cancellationToken);
        }
    }

    /// <summary>Events after <paramref name="afterSequence"/> up to <paramref name="upTo"/>, at most <paramref name="max"/>.</summary>
    public async Task<ProgressEvent[]> ReadAsync(long afterSequence, long upTo, int max, CancellationToken cancellationToken = default)
    {
        var result = new List<ProgressEvent>();
        long next = afterSequence + 1;
        while (next <= upTo && result.Count < max)
        {
            long segment = SegmentOf(next);
            var events = await ReadSegmentAsync(segment, cancellationToken);
            foreach (var e in events)
            {
                if (e.Sequence < next || e.Sequence > upTo) continue;
                result.Add(e);
                next = e.Sequence + 1;
                if (result.Count == max) break;
            }
            if (result.Count < max && next <= (segment + 1) * SegmentSize)
            {
                // Events that were never stored (dropped in a long outage) leave a gap: the next segment may go on.
                if (segment >= SegmentOf(upTo)) break;
                next = (segment + 1) * SegmentSize + 1;
            }
        }
        return result.ToArray();
    }

    /// <summary>The last sequence stored and up to <paramref name="count"/> of the newest events (ascending).</summary>
    public async Task<(long LastSequence, IReadOnlyList<ProgressEvent> Recent)> LoadTailAsync(int count, CancellationToken cancellationToken = default)
    {
        long lastSegment = -1;
        await foreach (var blob in _blobs.ListAsync(_container, _folder, cancellationToken))
            if (long.TryParse(Path.GetFileNameWithoutExtension(blob.Name), out var s)) lastSegment = Math.Max(lastSegment, s);
        if (lastSegment < 0) return (0, []);
        var events = await ReadSegmentAsync(lastSegment, cancellationToken);
        if (events.Count < count && lastSegment > 0) events = [.. await ReadSegmentAsync(lastSegment - 1, cancellationToken), .. events];
        long last = events.Count == 0 ? lastSegment * SegmentSize : events[^1].Sequence;
        return (last, events.TakeLast(count).ToList());
    }

    /// <summary>One segment's events in order, repeats (from retried appends) and a torn last line dropped.</summary>
    private async Task<List<ProgressEvent>> ReadSegmentAsync(long segment, CancellationToken cancellationToken)
    {
        var data = await _blobs.TryReadAsync(_container, SegmentName(segment), cancellationToken);
        var result = new List<ProgressEvent>();
        if (data is null) return result;
        long last = 0;
        foreach (var line in data.ToString().Split('\n'))
        {
            if (line.Length == 0) continue;
            ProgressEvent? e;
            try
            {
                e = JsonSerializer.Deserialize<ProgressEvent>(line, FarmJson.Options);
            }
            catch (JsonException)
            {
                continue;
            }
            if (e is null || e.Sequence <= last) continue;
            result.Add(e);
            last = e.Sequence;
        }
        return result;
    }
}
