using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// A chunk-by-chunk video sampler (self-forcing, histream, histream-plus, wan-bidirectional).
/// Generation is pull-based: each MoveNext renders one chunk, so a caller can checkpoint, report progress
/// or stop between chunks. The sampler owns its KV caches for the lifetime of the enumeration.
/// </summary>
public interface IVideoSampler
{
    string Name { get; }

    /// <summary>Chunks and model passes this sampler will run for the request, without running anything.</summary>
    SamplerPlan Plan(SamplingRequest request);

    /// <param name="resume">Latents of chunks already finished by an earlier run; they are not re-generated,
    /// the caches are rebuilt from them, and generation continues with the next chunk.</param>
    IEnumerable<GeneratedChunk> Generate(SamplingRequest request, SamplerResumeState? resume = null, CancellationToken cancellationToken = default);
}

/// <param name="TextContext">Text embedding rows [L, text_dim] for the prompt (L &lt;= text_len; padding is added by the model).</param>
/// <param name="LatentFrames">Latent frames to generate (pixel frames = 1 + 4·(latent − 1)).</param>
public sealed record SamplingRequest(torch.Tensor TextContext, long Seed, int LatentFrames, int LatentHeight, int LatentWidth);

/// <param name="Latents">The chunk's final x0 latent [C, F, H, W], float32 on the CPU; the caller owns it.</param>
public sealed record GeneratedChunk(int Index, int FirstLatentFrame, torch.Tensor Latents, ChunkTiming Timing);

public sealed record ChunkTiming(TimeSpan Denoise, TimeSpan CacheUpdate, int ModelPasses);

/// <param name="FinishedChunks">Final latents of chunks 0..n-1, as yielded by an earlier run with the same request.</param>
public sealed record SamplerResumeState(IReadOnlyList<torch.Tensor> FinishedChunks);

public sealed record SamplerPlan(int Chunks, IReadOnlyList<int> ModelPassesPerChunk, IReadOnlyList<string> StepDescriptions);
