using HiStream.Abstractions.Jobs;

namespace HiStream.Abstractions.Videos;

/// <summary>What a video grain tells its job: started, a chunk finished, or an outcome.</summary>
[GenerateSerializer, Immutable, Alias("histream.VideoReport")]
public sealed record VideoReport(
    [property: Id(0)] int ItemIndex,
    [property: Id(1)] string VideoId,
    [property: Id(2)] ProgressKind Kind,
    [property: Id(3)] int ChunksDone,
    [property: Id(4)] int ChunksTotal,
    [property: Id(5)] double ChunkSeconds,
    [property: Id(6)] string? Silo,
    [property: Id(7)] string? Message)
{
    /// <summary>Device seconds of the whole video (sent with <see cref="ProgressKind.Completed"/>).</summary>
    [Id(11)] public double GpuSeconds { get; init; }
    /// <summary>The lease attempt that sent it (1-based).</summary>
    [Id(8)] public int Attempt { get; init; } = 1;
    /// <summary>The job generation the video was started for; reports of older generations are not counted.</summary>
    [Id(9)] public int Generation { get; init; }
    /// <summary>Sent by the queue for an item that ended there (lease expired on its last attempt, job dropped).</summary>
    [Id(10)] public bool FromQueue { get; init; }
}
