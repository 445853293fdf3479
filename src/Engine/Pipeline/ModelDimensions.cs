using HiStream.Engine.Models;

namespace HiStream.Engine.Pipeline;

/// <summary>The DiT sizes that decide a video's device memory (see model-spec §7).</summary>
public sealed record ModelDimensions(
    int Layers,
    int Dim,
    int FfnDim,
    int TextLen,
    int PatchHeight,
    int PatchWidth,
    int ChunkLatentFrames,
    long ParameterCount,
    int ElementBytes)
{
    /// <summary>Wan2.1-T2V-1.3B / Self-Forcing (bf16).</summary>
    public static ModelDimensions Wan13B { get; } = FromConfig(WanConfig.Wan2_1_T2V_1_3B, 3, 2);

    public static ModelDimensions FromConfig(WanConfig c, int chunkLatentFrames, int elementBytes) =>
        new(c.NumLayers, c.Dim, c.FfnDim, c.TextLen, c.PatchSize.H, c.PatchSize.W, chunkLatentFrames, ParameterCountOf(c), elementBytes);

    /// <summary>Parameters of a Wan DiT with this config (1,418,996,800 for Wan2.1-T2V-1.3B).</summary>
    public static long ParameterCountOf(WanConfig c)
    {
        long d = c.Dim, f = c.FfnDim, patch = (long)c.PatchSize.T * c.PatchSize.H * c.PatchSize.W;
        long block = 6 * d + 2 * 4 * (d * d + d) + 3 * 2 * d + (d * f + f + f * d + d);
        return c.InDim * patch * d + d
               + c.TextDim * d + d + d * d + d
               + c.FreqDim * d + d + d * d + d
               + d * 6 * d + 6 * d
               + c.NumLayers * block
               + 2 * d + d * c.HeadOutDim + c.HeadOutDim;
    }
}
