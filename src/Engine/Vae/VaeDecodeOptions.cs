using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// How a decode bounds its memory. None of these change the result beyond float rounding: the high-resolution
/// stages are causal in time and local in space, so slicing frames and bands is exact.
/// </summary>
public sealed record VaeDecodeOptions
{
    /// <summary>Pixel frames pushed through the high-resolution stages at once; 0 = all frames of a latent frame (up to 4).
    /// 1 cuts the activation peak of those stages by four at no extra compute.</summary>
    public int FramesPerSlice { get; init; } = 1;

    /// <summary>Output rows per spatial band of the high-resolution stages; 0 = whole frames. Each band is decoded with a
    /// halo of context rows (20 output rows for Wan2.1) and cropped, so bands cost some recompute but bound the
    /// activations to one band.</summary>
    public int BandRows { get; init; }

    /// <summary>Where the temporal feature cache lives (e.g. CPU RAM while decoding on a GPU); null = the model's device.</summary>
    public torch.Device? CacheDevice { get; init; }

    public static VaeDecodeOptions Default { get; } = new();

    /// <summary>Every frame of a latent frame at once, whole frames: the reference's way, fastest when memory allows.</summary>
    public static VaeDecodeOptions Unsliced { get; } = new() { FramesPerSlice = 0 };

    public void Validate()
    {
        if (FramesPerSlice < 0) throw new ArgumentOutOfRangeException(nameof(FramesPerSlice), FramesPerSlice, "FramesPerSlice must be 0 (all) or positive.");
        if (BandRows < 0) throw new ArgumentOutOfRangeException(nameof(BandRows), BandRows, "BandRows must be 0 (whole frames) or positive.");
    }
}
