namespace HiStream.Engine.Pipeline;

/// <summary>One video to render. Width and height are pixels (multiples of 16), Frames pixel frames (1 + 4·k).</summary>
public sealed record VideoRequest(
    string Prompt,
    long Seed,
    int Width,
    int Height,
    int Frames,
    string Sampler,
    IReadOnlyDictionary<string, string> SamplerOptions)
{
    public const int VaeSpatialStride = 8;
    public const int VaeTemporalStride = 4;

    public int LatentFrames => 1 + (Frames - 1) / VaeTemporalStride;
    public int LatentHeight => Height / VaeSpatialStride;
    public int LatentWidth => Width / VaeSpatialStride;
}
