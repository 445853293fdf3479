using System.Text.Json;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Farm.Tests.Infrastructure;

public static class Metadata
{
    public static async Task<VideoMetadata> ReadAsync(IBlobStore blobs, string container, string folder)
    {
        var data = await blobs.TryReadAsync(container, $"{folder}/{VideoOutputs.MetadataFile}") ?? throw new Xunit.Sdk.XunitException($"{folder}/metadata.json is missing");
        return JsonSerializer.Deserialize<VideoMetadata>(data.ToString(), FarmJson.Options)!;
    }

    /// <summary>The largest number of [start, end) intervals that overlap at one instant.</summary>
    public static int MaxOverlap(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> intervals)
    {
        var points = intervals.SelectMany(i => new[] { (i.Start, +1), (i.End, -1) }).OrderBy(p => p.Item1).ThenBy(p => p.Item2);
        int current = 0, max = 0;
        foreach (var (_, delta) in points) max = Math.Max(max, current += delta);
        return max;
    }
}
