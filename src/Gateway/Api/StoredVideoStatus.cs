using System.Collections.Concurrent;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Gateway.Api;

/// <summary>A video's status from what storage holds, for when its grains cannot answer (their silo died and the
/// cluster has not yet declared it dead, or they are reactivating elsewhere): finished when its metadata.json
/// exists, else pending with the chunks stored so far. The status endpoint answers with it instead of an error.</summary>
public sealed class StoredVideoStatus(IBlobStore blobs)
{
    /// <summary>How long the gateway waits for a grain before answering from storage.</summary>
    public static readonly TimeSpan GrainTimeout = TimeSpan.FromSeconds(5);

    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<string, OutputLocation> _outputs = new(StringComparer.Ordinal);

    /// <summary>A grain call failed or timed out because its silo is unreachable (not because the request was bad).</summary>
    public static bool IsUnreachable(Exception ex) => ex is TimeoutException || FarmRetry.IsTransient(ex);

    /// <summary>Job outputs never change: remember them (by the job's farm-wide key, once the caller was allowed to
    /// see the job) so a video can be answered for while its job grain is unreachable.</summary>
    public void Remember(string jobKey, OutputLocation output)
    {
        if (_outputs.Count >= MaxRemembered) _outputs.Clear();
        _outputs[jobKey] = output;
    }

    public OutputLocation? Recall(string jobKey) => _outputs.TryGetValue(jobKey, out var output) ? output : null;

    public async Task<VideoStatus> ReadAsync(string jobKey, string videoId, OutputLocation output, CancellationToken cancellationToken)
    {
        var folder = output.VideoFolder(jobKey, videoId);
        if (await blobs.ExistsAsync(output.Container, $"{folder}/{VideoOutputs.MetadataFile}", cancellationToken))
            return new VideoStatus(jobKey, videoId, -1, VideoState.Completed, 0, 0, null, null, null, TimeSpan.Zero, null, folder, false);
        int chunks = 0;
        while (await blobs.ExistsAsync(output.Container, $"{folder}/{VideoOutputs.LatentsFile(chunks)}", cancellationToken)) chunks++;
        return new VideoStatus(jobKey, videoId, -1, VideoState.Pending, chunks, 0, null, null, null, null,
            $"its silo is not reachable now; answered from storage ({chunks} chunks stored); it resumes from there", folder, false);
    }
}
