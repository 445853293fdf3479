namespace HiStream.Engine.Numerics;

/// <summary>A 2D convolution a model runs (stride 1, symmetric padding), as <see cref="ConvolutionCheck"/> probes it.</summary>
public sealed record ConvolutionShape(long InChannels, long OutChannels, long Kernel, long Padding)
{
    public override string ToString() => $"{InChannels}->{OutChannels} {Kernel}x{Kernel}";
}
