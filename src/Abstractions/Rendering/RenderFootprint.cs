namespace HiStream.Abstractions.Rendering;

/// <summary>The largest video of a job, used to size its device-memory request.</summary>
[GenerateSerializer, Immutable, Alias("histream.RenderFootprint")]
public sealed record RenderFootprint(
    [property: Id(0)] int Width,
    [property: Id(1)] int Height,
    [property: Id(2)] int LatentFrames,
    [property: Id(3)] string Sampler)
{
    public static RenderFootprint Of(RenderSettings s) => new(s.Width, s.Height, s.LatentFrames, s.Sampler);

    /// <summary>The footprint that covers both (the larger of each dimension; the sampler of the larger frame area).</summary>
    public RenderFootprint Max(RenderFootprint other)
    {
        var sampler = (long)other.Width * other.Height > (long)Width * Height ? other.Sampler : Sampler;
        return new(Math.Max(Width, other.Width), Math.Max(Height, other.Height), Math.Max(LatentFrames, other.LatentFrames), sampler);
    }
}
