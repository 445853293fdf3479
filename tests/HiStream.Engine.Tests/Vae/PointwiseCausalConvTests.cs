using HiStream.Engine.Numerics;
using HiStream.Engine.Tests.Numerics;
using HiStream.Engine.Vae.Layers;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

/// <summary>
/// The VAE's 1x1x1 causal convs (residual shortcuts, the z conv) against a float64 conv3d of the same weights, at a
/// frame size where oneDNN is chosen and with channel counts off the vector block. Run under ONEDNN_MAX_CPU_ISA=AVX2 /
/// SSE41 too (scripts/test.sh does) to cover other CPUs' kernels.
/// </summary>
public sealed class PointwiseCausalConvTests
{
    public static TheoryData<long, long, ConvolutionKernels> Cases => new()
    {
        { 24, 8, ConvolutionKernels.LibTorchPaddedChannels },
        { 36, 12, ConvolutionKernels.LibTorchPaddedChannels },
        { 17, 24, ConvolutionKernels.LibTorchPaddedChannels },
        { 96, 48, ConvolutionKernels.LibTorchPaddedChannels },
        { 16, 16, ConvolutionKernels.LibTorchPaddedChannels },
        { 36, 12, ConvolutionKernels.MatrixMultiply },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesFloat64Conv3d(long cin, long cout, ConvolutionKernels kernels)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var generator = new torch.Generator(29);
        var (x, x64) = Float64Comparison.Random([1, cin, 3, 64, 96], torch.float32, generator);
        var (w, w64) = Float64Comparison.Random([cout, cin, 1, 1, 1], torch.float32, generator);
        var (b, b64) = Float64Comparison.Random([cout], torch.float32, generator);
        using var conv = Pointwise(cin, cout, w, b, kernels);
        Assert.False(conv.IsTemporal);

        var actual = conv.Forward(x, null);

        var reference = EngineConvolution.Conv3d(x64, w64, b64, [1, 1, 1], [0, 0, 0], ConvolutionKernels.LibTorchUnpadded);
        Assert.Equal(reference.shape, actual.shape);
        double error = Float64Comparison.RelativeError(actual, reference);
        Assert.True(error <= Float64Comparison.Float32Tolerance, $"1x1x1 causal conv {cin}->{cout} ({kernels}): relative error {error:g3} vs float64");
    }

    [Fact]
    public void RunsOnlyTheShapeTheLoadCheckProbes()
    {
        using var scope = torch.NewDisposeScope();
        using var conv = Pointwise(24, 8, torch.zeros([8, 24, 1, 1, 1]), torch.zeros([8]), ConvolutionKernels.LibTorchPaddedChannels);
        Assert.Equal([new ConvolutionShape(24, 8, 1, 0)], conv.Shapes);
    }

    [Fact]
    public void RefusesHistoryFrames()
    {
        using var scope = torch.NewDisposeScope();
        using var conv = Pointwise(8, 8, torch.zeros([8, 8, 1, 1, 1]), torch.zeros([8]), ConvolutionKernels.LibTorchPaddedChannels);
        var error = Assert.Throws<InvalidOperationException>(() => conv.Forward(torch.zeros([1, 8, 2, 4, 4]), torch.zeros([1, 8, 1, 4, 4])));
        Assert.Contains("at most 0", error.Message);
    }

    private static CausalConv3d Pointwise(long cin, long cout, torch.Tensor weight, torch.Tensor bias, ConvolutionKernels kernels)
    {
        var conv = new CausalConv3d(cin, cout, 1, 1, torch.float32, torch.CPU) { Kernels = kernels };
        using (torch.no_grad())
        {
            conv.get_parameter("weight")!.copy_(weight);
            conv.get_parameter("bias")!.copy_(bias);
        }
        return conv;
    }
}
