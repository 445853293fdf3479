using Orleans.Concurrency;

namespace HiStream.Abstractions.Videos;

/// <summary>One video, keyed by <c>{jobId}/{videoId}</c> (see <see cref="VideoKey"/>). It renders on the silo that
/// leased it and keeps the sampler state (KV caches) there between chunks; <see cref="StartAsync"/> returns as soon
/// as the render is running.</summary>
[Alias("histream.IVideoGrain")]
public interface IVideoGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task<StartResult> StartAsync(VideoAssignment assignment);

    [AlwaysInterleave, Alias("GetStatus")]
    Task<VideoStatus> GetStatusAsync();

    /// <summary>Stops the render at the next chunk boundary (the sampler also checks between model passes).</summary>
    [AlwaysInterleave, Alias("Cancel")]
    Task<VideoStatus> CancelAsync();
}
