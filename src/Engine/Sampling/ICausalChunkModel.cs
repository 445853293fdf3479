using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// What the chunk samplers need from the causal DiT: one forward pass of a chunk against a KV cache, at any latent
/// size and with per-axis RoPE bases. Implemented over the Wan2.1 model by <see cref="WanChunkModel"/>.
/// </summary>
public interface ICausalChunkModel
{
    torch.Device Device { get; }
    torch.ScalarType DType { get; }
    int LatentChannels { get; }

    /// <summary>RoPE frequency pairs per axis (time, height, width); (22, 21, 21) at head_dim 128.</summary>
    (int Time, int Height, int Width) RopePairs { get; }

    /// <summary>The RoPE base θ of every axis in the trained model (10000).</summary>
    double RopeTheta { get; }

    /// <summary>x0 = x − σ(t)·v (σ from the scheduler table, computed in float64; model-spec §3).</summary>
    torch.Tensor ToX0(torch.Tensor x, torch.Tensor velocity, double timestep);

    /// <summary>(1 − σ(t))·x0 + σ(t)·noise, the re-noising before a step at timestep t.</summary>
    torch.Tensor AddNoise(torch.Tensor x0, torch.Tensor noise, double timestep);

    /// <summary>Text context [L, text_dim] → the per-video cross-attention state, shared by every pass and resolution.</summary>
    IDisposable CreateTextState(torch.Tensor textContext);

    /// <param name="windowFrames">Capacity in latent frames including anchor and chunk; null = <paramref name="totalFrames"/> (no eviction).</param>
    IChunkKvCache CreateCache(int tokensPerFrame, int? windowFrames, int anchorFrames, int totalFrames);

    /// <summary>
    /// One causal pass: x [1, C, F, H, W] at timestep t for the frames starting at <paramref name="startFrame"/>.
    /// Writes the chunk's roped keys and values into <paramref name="cache"/> (evicting per the window rule on a
    /// chunk's first pass) and returns the velocity prediction, same shape and dtype as x.
    /// </summary>
    torch.Tensor Forward(torch.Tensor x, double timestep, int startFrame, IChunkKvCache cache, IDisposable textState, RopeThetas thetas);
}

/// <summary>RoPE bases per axis for one pass (NTK scaling changes them for the high-res passes).</summary>
public readonly record struct RopeThetas(double Time, double Height, double Width);

/// <summary>One KV cache (per resolution) of a chunk sampler.</summary>
public interface IChunkKvCache : IDisposable
{
    /// <summary>Bytes held by the cache buffers (allocated, whether filled or not).</summary>
    long AllocatedBytes { get; }

    /// <summary>Latent frame indices whose keys and values the cache holds, in buffer order.</summary>
    IReadOnlyList<int> FramesHeld { get; }

    /// <summary>
    /// Re-ropes the cached keys of the first <paramref name="frames"/> buffer frames (the anchor, written at positions
    /// 0..frames−1) so that they sit at temporal positions <paramref name="startPosition"/>.. (for
    /// <see cref="TemporalPositionPolicy.RollingAnchor"/>). <paramref name="timeTheta"/> is the frame-axis base the keys were roped with.
    /// </summary>
    void PlaceLeadingFrames(int frames, int startPosition, double timeTheta);
}
