namespace HiStream.Abstractions.Rendering;

/// <summary>What to render for one video. Width and height are pixels (multiples of 16); Frames are pixel frames (1 + 4·k).</summary>
[GenerateSerializer, Immutable, Alias("histream.RenderSettings")]
public sealed record RenderSettings(
    [property: Id(0)] string Prompt,
    [property: Id(1)] long Seed,
    [property: Id(2)] int Width,
    [property: Id(3)] int Height,
    [property: Id(4)] int Frames,
    [property: Id(5)] string Sampler,
    [property: Id(6)] Dictionary<string, string> SamplerOptions)
{
    /// <summary>Latent frames for the pixel frame count (the VAE maps 1 + 4·(n − 1) pixel frames to n latent frames).</summary>
    public int LatentFrames => 1 + (Frames - 1) / 4;
}
