using HiStream.Abstractions.Rendering;

namespace HiStream.Grains.Rendering;

/// <summary>A silo's renderer: the model, loaded once and shared by all videos on the silo. Every call that touches
/// the device runs on the silo's device thread, never on the grain scheduler.</summary>
public interface IRenderEngine
{
    /// <summary>Loads the model (once). Called by the worker before it takes work.</summary>
    Task<EngineInfo> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Starts a video: encodes the prompt, sets up the sampler, and rebuilds its caches from the latents of
    /// chunks an earlier run finished.</summary>
    Task<IRenderSession> OpenAsync(RenderSettings settings, IReadOnlyList<ChunkLatents> finishedChunks, CancellationToken cancellationToken);
}

/// <summary>One video's resident state (sampler enumerator with its KV caches, decoder cache).</summary>
public interface IRenderSession : IAsyncDisposable
{
    int ChunkCount { get; }

    /// <summary>Renders the next chunk; null after the last one.</summary>
    Task<RenderedChunk?> NextAsync(CancellationToken cancellationToken);
}

/// <param name="ModelId">Name of the weights (or of the random tiny configuration).</param>
/// <param name="ModelHash">SHA-256 of the weights files (or of the tiny model's seed and configuration).</param>
/// <param name="RandomWeights">True when no weights were given and a small seeded-random model renders.</param>
public sealed record EngineInfo(
    string ModelId,
    string ModelHash,
    bool RandomWeights,
    string Device,
    string DType,
    long ModelBytes,
    long DeviceMemoryBytes,
    bool HasDecoder,
    IReadOnlyCollection<string> Samplers);

/// <summary>A chunk's final latents [C, F, H, W], float32.</summary>
public sealed record ChunkLatents(long[] Shape, float[] Data);

/// <param name="Frames">RGB frames [N, H, W, 3] as bytes when the decoder ran, else null.</param>
public sealed record RenderedChunk(
    int Index,
    int FirstLatentFrame,
    ChunkLatents Latents,
    byte[]? Frames,
    int FrameCount,
    int FrameWidth,
    int FrameHeight,
    TimeSpan Denoise,
    TimeSpan CacheUpdate,
    TimeSpan Decode,
    int ModelPasses);
