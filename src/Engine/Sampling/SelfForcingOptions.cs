using HiStream.Engine.Caching;

namespace HiStream.Engine.Sampling;

/// <summary>
/// Settings of the Self-Forcing chunk loop. Defaults are the reference inference settings
/// (configs/self_forcing_dmd.yaml + inference.py): 3 latent frames per chunk, steps [1000, 750, 500, 250] warped
/// through the shift-5 table, full causal history, clean (t = 0) cache refresh after every chunk.
/// </summary>
public sealed record SelfForcingOptions
{
    public int FramesPerChunk { get; init; } = 3;

    /// <summary>Denoising steps on the 0..1000 training scale, before warping.</summary>
    public IReadOnlyList<int> DenoisingSteps { get; init; } = new[] { 1000, 750, 500, 250 };

    /// <summary>Read each step from the scheduler table (cat(timesteps, [0])[1000 − step]), as the reference does.
    /// Off: feed the steps to the model as they are.</summary>
    public bool WarpDenoisingSteps { get; init; } = true;

    public double TimestepShift { get; init; } = 5.0;

    /// <summary>Self-attention window (local_attn_size, sink_size in latent frames); global by default.</summary>
    public KvWindow Window { get; init; } = KvWindow.Global;

    /// <summary>Timestep given to the cache-refresh pass (the reference's context_noise; 0 = clean).</summary>
    public float ContextNoise { get; init; }

    /// <summary>Refresh the cache after the last chunk too, as the reference CLI does (its output is unused, so
    /// turning this off saves one pass per video; the demo skips it).</summary>
    public bool RefreshAfterLastChunk { get; init; } = true;

    /// <summary>Torch device name ("cpu", "cuda", "cuda:1").</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Model and cache dtype: "float32" (default) or "bfloat16". float16 is refused on the CPU (no kernels).</summary>
    public string DType { get; init; } = "float32";

    public SelfForcingOptions Validate()
    {
        if (FramesPerChunk <= 0) throw new ArgumentException($"FramesPerChunk must be positive, got {FramesPerChunk}.");
        if (DenoisingSteps.Count == 0) throw new ArgumentException("DenoisingSteps must list at least one step.");
        if (DenoisingSteps.Any(s => s <= 0 || s > 1000)) throw new ArgumentException($"DenoisingSteps must lie in (0, 1000], got [{string.Join(", ", DenoisingSteps)}].");
        if (ContextNoise < 0 || ContextNoise > 1000) throw new ArgumentException($"ContextNoise must lie in [0, 1000], got {ContextNoise}.");
        Window.Validate();
        if (!Window.IsGlobal && Window.LocalAttentionFrames - Window.SinkFrames < FramesPerChunk)
            throw new ArgumentException($"The window ({Window}) leaves {Window.LocalAttentionFrames - Window.SinkFrames} non-sink frames, fewer than one chunk of {FramesPerChunk}.");
        var dtype = TorchRuntime.ParseDType(DType);
        if (dtype == TorchSharp.torch.ScalarType.Float16 && !Device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("float16 has no CPU kernels in this TorchSharp build (about 1000x slower); use float32 or bfloat16 on the CPU.");
        return this;
    }
}
