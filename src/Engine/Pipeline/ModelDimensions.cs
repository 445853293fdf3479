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
    public static ModelDimensions Wan13B { get; } = new(30, 1536, 8960, 512, 2, 2, 3, 1_418_996_800, 2);
}
