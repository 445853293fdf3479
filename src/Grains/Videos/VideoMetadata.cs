namespace HiStream.Grains.Videos;

/// <summary>The <c>metadata.json</c> written next to a finished video. It is written last: its presence means the
/// video is complete, which is how a resubmitted job skips it.</summary>
public sealed record VideoMetadata(
    string JobId,
    string VideoId,
    int ItemIndex,
    string Prompt,
    bool PromptTruncated,
    long Seed,
    int Width,
    int Height,
    int Frames,
    int Fps,
    string Sampler,
    IReadOnlyDictionary<string, string> SamplerOptions,
    ModelMetadata Model,
    string Silo,
    int Attempts,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<ChunkMetadata> Chunks,
    OutputFiles Outputs,
    int Priority,
    IReadOnlyList<string> Tags,
    string? Note)
{
    /// <summary>Device time of this video: the denoise, cache update and decode of its chunks on the device thread
    /// (concurrent videos of a silo take turns there, so these add up to the device's busy time).</summary>
    public double GpuSeconds { get; init; }
}

/// <param name="RandomWeights">True when no checkpoint was configured and a seeded-random tiny model rendered:
/// the pictures are noise-like by construction.</param>
public sealed record ModelMetadata(string Id, string Hash, bool RandomWeights, string Device, string DType);

public sealed record ChunkMetadata(
    int Index,
    int FirstLatentFrame,
    int Frames,
    double DenoiseSeconds,
    double CacheUpdateSeconds,
    double DecodeSeconds,
    double WriteSeconds,
    int ModelPasses,
    string Silo,
    DateTimeOffset FinishedAt);

/// <summary>Blob names relative to the video's folder.</summary>
public sealed record OutputFiles(IReadOnlyList<string> Latents, IReadOnlyList<string> Segments, string? Video, string Preview, string Metadata);
