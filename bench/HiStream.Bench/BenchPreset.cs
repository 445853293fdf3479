namespace HiStream.Bench;

/// <summary>Model dimensions of the benchmarked DiT (Wan2.1 layout).</summary>
public sealed record BenchModelDims(int Dim, int FfnDim, int Heads, int Layers, int TextLen, int TextDim, int FreqDim)
{
    /// <summary>Wan2.1-T2V-1.3B.</summary>
    public static BenchModelDims Wan13B { get; } = new(1536, 8960, 12, 30, 512, 4096, 256);

    public override string ToString() => $"dim {Dim}, ffn {FfnDim}, {Heads} heads (head_dim {Dim / Heads}), {Layers} layers, text_len {TextLen}";
}

/// <summary>One benchmark configuration: model, grid, length, device.</summary>
/// <param name="WanMeasuredSteps">Bidirectional steps actually run; the time is scaled to <see cref="WanSteps"/> (every step costs the same). null = all.</param>
/// <param name="Threads">Torch intra-op threads; null = all cores.</param>
public sealed record BenchPreset(
    string Name, BenchModelDims Model, int LatentFrames, int LatentHeight, int LatentWidth,
    string Device, string DType, int WanSteps, int? WanMeasuredSteps, int Repeats, int? Threads, string Description)
{
    public int PixelFrames => 1 + 4 * (LatentFrames - 1);

    /// <summary>
    /// 2 CPU cores, under 10 minutes: a narrow DiT with the real head_dim (so RoPE splits 22/21/21 as in the 1.3B
    /// model) on a 256×512 grid (512 tokens per latent frame, 10,752 for the 21-frame video). Attention is most of the
    /// work of a late Self-Forcing chunk here, as at 1080p, so the window's effect shows. Wan's 50 CFG steps cost the
    /// same each; 2 are run per round and the time is scaled. Three rounds in alternating order; per sampler the fastest
    /// run and per chunk the fastest time are kept (interference from other processes only adds time). One torch
    /// thread: on a shared 2-core machine two threads stall each other at every parallel region whenever another
    /// process takes a core (runs vary up to 10x); one thread measures the work itself (about 75 GFLOP/s on every
    /// sampler here) and the whole run still takes about 5 minutes.
    /// </summary>
    public static BenchPreset Cpu { get; } = new(
        "cpu", new BenchModelDims(256, 1024, 2, 4, 512, 256, 256), 21, 32, 64, "cpu", "float32", 50, 2, 3, 1,
        "CPU preset: narrow DiT (seeded-random weights), 256x512 px, 81 frames");

    /// <summary>The paper's setting: Wan2.1-1.3B dims at 1920×1088, 81 frames, bf16 on one GPU.</summary>
    public static BenchPreset Gpu1080p { get; } = new(
        "gpu-1080p", BenchModelDims.Wan13B, 21, 136, 240, "cuda", "bfloat16", 50, 2, 1, null,
        "GPU preset: Wan2.1-T2V-1.3B dims, 1920x1088, 81 frames");

    public static IReadOnlyList<BenchPreset> All { get; } = new[] { Cpu, Gpu1080p };
}
