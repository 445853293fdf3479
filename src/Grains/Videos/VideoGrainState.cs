using HiStream.Abstractions.Videos;

namespace HiStream.Grains.Videos;

/// <summary>A video's progress, written after every chunk: which chunks are done (their latents are in storage, so
/// any silo can resume from here), per-chunk timings and where each chunk ran.</summary>
[GenerateSerializer, Alias("histream.VideoGrainState")]
public sealed class VideoGrainState
{
    [Id(0)] public VideoState State { get; set; }
    [Id(1)] public int ItemIndex { get; set; } = -1;
    [Id(2)] public int ChunksDone { get; set; }
    [Id(3)] public int ChunksTotal { get; set; }
    [Id(4)] public string? Silo { get; set; }
    [Id(5)] public DateTimeOffset? StartedAt { get; set; }
    [Id(6)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(7)] public string? Error { get; set; }
    [Id(8)] public bool Skipped { get; set; }
    [Id(9)] public int Attempts { get; set; }
    [Id(10)] public List<ChunkRecord> Chunks { get; set; } = [];
    [Id(11)] public string? OutputFolder { get; set; }
    /// <summary>A cancel that arrived while the video was queued has been reported to the job.</summary>
    [Id(12)] public bool CancelReported { get; set; }
    /// <summary>The job generation of the last start; a cancel applies to that generation only (null: the next start's).</summary>
    [Id(13)] public int? CancelGeneration { get; set; }
    /// <summary>The video's line is in the job's results manifest.</summary>
    [Id(20)] public bool ResultRecorded { get; set; }
}

[GenerateSerializer, Alias("histream.ChunkRecord")]
public sealed class ChunkRecord
{
    [Id(0)] public int Index { get; set; }
    [Id(1)] public int FirstLatentFrame { get; set; }
    [Id(2)] public double DenoiseSeconds { get; set; }
    [Id(3)] public double CacheUpdateSeconds { get; set; }
    [Id(4)] public double DecodeSeconds { get; set; }
    [Id(5)] public double WriteSeconds { get; set; }
    [Id(6)] public int ModelPasses { get; set; }
    [Id(7)] public int Frames { get; set; }
    [Id(8)] public string Silo { get; set; } = "";
    [Id(9)] public DateTimeOffset FinishedAt { get; set; }
}
