namespace HiStream.Engine.Numerics;

/// <summary>What <see cref="ConvolutionCheck"/> probed and chose; <see cref="Summary"/> is the one line to log.</summary>
/// <param name="Kernels">The kernels the model's convolutions use.</param>
/// <param name="Shapes">The shapes probed.</param>
/// <param name="LibTorchWrong">Shapes where libtorch's own (unpadded) convolution was wrong on this CPU.</param>
/// <param name="WorstRelativeError">Largest |error| / max |reference| of the chosen kernels over all shapes.</param>
public sealed record ConvolutionCheckReport(
    ConvolutionKernels Kernels, IReadOnlyList<ConvolutionShape> Shapes, IReadOnlyList<ConvolutionShape> LibTorchWrong,
    double WorstRelativeError, string Summary);
