using HiStream.Engine.Numerics;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Numerics;

public sealed class ConvolutionCheckTests
{
    [Fact]
    public void TheTinyVaeChecksItsConvolutionsAtLoadAndSaysWhatItChose()
    {
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        var report = model.ConvolutionCheck;
        Assert.Equal(ConvolutionKernels.LibTorchPaddedChannels, report.Kernels);
        // The head stacks 3 taps of 8 channels: the shape that libtorch computes wrong on AVX-512.
        Assert.Contains(new ConvolutionShape(24, 3, 3, 1), report.Shapes);
        Assert.True(report.WorstRelativeError <= ConvolutionCheck.Tolerance(torch.ScalarType.Float32));
        Assert.StartsWith("Convolution check (Float32, 64x96", report.Summary);
        Assert.Contains($"probed {report.Shapes.Count} shapes against float64", report.Summary);
        Assert.Contains("the engine uses LibTorchPaddedChannels", report.Summary);
        Assert.DoesNotContain('\n', report.Summary);
    }

    [Fact]
    public void ARealWidthShapeNeedsNoPaddingAndAnOddOneIsPaddedTo16()
    {
        using var odd = torch.zeros([1, 24, 4, 4]);
        using var padded = EngineConvolution.PadChannels(odd);
        Assert.Equal(32, padded.shape[1]);
        using var real = torch.zeros([1, 288, 4, 4]);
        using var same = EngineConvolution.PadChannels(real);
        Assert.Equal(288, same.shape[1]);
    }

    [Fact]
    public void NnpackIsSwitchedOffSoLibTorchStopsWarningAboutIt()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            return; // the switch uses libtorch's Itanium-ABI exports
        Assert.True(LibTorchGlobalContext.DisableNnpack());
    }
}
