using HiStream.Engine.Numerics;
using TorchSharp;
using Xunit.Abstractions;

namespace HiStream.Engine.Tests.Numerics;

/// <summary>
/// The engine's convolutions against float64 on whatever CPU runs the suite, over odd and even channel counts and
/// frame sizes where libtorch-cpu 2.10's oneDNN kernels go wrong (channel counts that are not a multiple of the
/// vector block, frames of 64x96 and up). Run the suite with ONEDNN_MAX_CPU_ISA=AVX2 / SSE41 to cover other CPUs'
/// kernels (scripts/test.sh does). libtorch's own, unpadded result is reported, not asserted: it depends on the CPU.
/// </summary>
public sealed class ConvolutionSweepTests(ITestOutputHelper output)
{
    private static readonly long[] InChannels = [1, 3, 5, 8, 9, 12, 15, 16, 17, 18, 23, 24, 31, 32, 36, 40, 45, 48, 56, 63, 64, 72, 80, 100];
    private static readonly long[] OutChannels = [3, 8, 24];

    public static TheoryData<int, int, int> Frames2d => new() { { 64, 96, 3 }, { 97, 130, 3 }, { 64, 96, 1 }, { 16, 24, 3 } };

    [Theory]
    [MemberData(nameof(Frames2d))]
    public void Conv2dMatchesFloat64(int height, int width, int kernel)
    {
        var generator = new torch.Generator(91);
        int checkedShapes = 0;
        var libTorchWrong = new List<string>();
        foreach (long cin in InChannels)
            foreach (long cout in OutChannels)
            {
                if (height * width > 10000 && cin % 4 != 0 && cin > 16 && cout != 8) continue; // keep the big frame cheap
                using var scope = torch.NewDisposeScope();
                var (x, x64) = Float64Comparison.Random([1, cin, height, width], torch.float32, generator);
                var (w, w64) = Float64Comparison.Random([cout, cin, kernel, kernel], torch.float32, generator);
                var (b, b64) = Float64Comparison.Random([cout], torch.float32, generator);
                long pad = kernel / 2;
                var reference = EngineConvolution.Conv2d(x64, w64, b64, pad, ConvolutionKernels.LibTorchUnpadded);
                foreach (var kernels in new[] { ConvolutionKernels.LibTorchPaddedChannels, ConvolutionKernels.MatrixMultiply })
                {
                    double error = Float64Comparison.RelativeError(EngineConvolution.Conv2d(x, w, b, pad, kernels), reference);
                    Assert.True(error <= Float64Comparison.Float32Tolerance,
                        $"{kernels} conv2d {cin}->{cout} {kernel}x{kernel} at {height}x{width}: relative error {error:g3} vs float64");
                }
                double raw = Float64Comparison.RelativeError(EngineConvolution.Conv2d(x, w, b, pad, ConvolutionKernels.LibTorchUnpadded), reference);
                if (!(raw <= Float64Comparison.Float32Tolerance)) libTorchWrong.Add($"{cin}->{cout} ({raw:g2})");
                checkedShapes++;
            }
        output.WriteLine($"{checkedShapes} shapes at {height}x{width} kernel {kernel}: engine right on all; libtorch unpadded wrong on {libTorchWrong.Count}: {string.Join(", ", libTorchWrong)}");
    }

    public static TheoryData<long, long, int, int> Shapes3d => new() { { 24, 8, 64, 96 }, { 17, 8, 33, 50 }, { 36, 12, 64, 96 }, { 16, 48, 64, 96 }, { 96, 24, 32, 48 } };

    [Theory]
    [MemberData(nameof(Shapes3d))]
    public void Conv3dMatchesFloat64(long cin, long cout, int height, int width)
    {
        var generator = new torch.Generator(17);
        using var scope = torch.NewDisposeScope();
        var (x, x64) = Float64Comparison.Random([1, cin, 2, height, width], torch.float32, generator);
        var (b, b64) = Float64Comparison.Random([cout], torch.float32, generator);
        // A full 3x3x3 kernel, a 1x1x1 (the VAE's shortcuts), a 1x3x3 and a 1x2x2 patch kernel with stride = kernel (the DiT's patch embedding).
        var cases = new (long[] Kernel, long[] Strides, long[] Padding, bool MatrixMultiply)[]
        {
            ([3, 3, 3], [1, 1, 1], [1, 1, 1], false),
            ([1, 1, 1], [1, 1, 1], [0, 0, 0], true),
            ([1, 3, 3], [1, 1, 1], [0, 1, 1], true),
            ([1, 2, 2], [1, 2, 2], [0, 0, 0], true),
        };
        foreach (var (kernel, strides, padding, matrixMultiply) in cases)
        {
            var (w, w64) = Float64Comparison.Random([cout, cin, .. kernel], torch.float32, generator);
            var reference = EngineConvolution.Conv3d(x64, w64, b64, strides, padding, ConvolutionKernels.LibTorchUnpadded);
            var kernelsToCheck = matrixMultiply
                ? new[] { ConvolutionKernels.LibTorchPaddedChannels, ConvolutionKernels.MatrixMultiply }
                : new[] { ConvolutionKernels.LibTorchPaddedChannels };
            foreach (var kernels in kernelsToCheck)
            {
                double error = Float64Comparison.RelativeError(EngineConvolution.Conv3d(x, w, b, strides, padding, kernels), reference);
                Assert.True(error <= Float64Comparison.Float32Tolerance,
                    $"{kernels} conv3d {cin}->{cout} kernel [{string.Join(",", kernel)}] at 2x{height}x{width}: relative error {error:g3} vs float64");
            }
            double raw = Float64Comparison.RelativeError(EngineConvolution.Conv3d(x, w, b, strides, padding, ConvolutionKernels.LibTorchUnpadded), reference);
            output.WriteLine($"conv3d {cin}->{cout} [{string.Join(",", kernel)}] at 2x{height}x{width}: libtorch unpadded relative error {raw:g2}");
        }
    }

    [Fact]
    public void BFloat16Conv2dMatchesFloat64WithinBFloat16Rounding()
    {
        var generator = new torch.Generator(5);
        foreach (var (cin, cout) in new (long, long)[] { (24, 8), (36, 12), (18, 6), (48, 16), (96, 96), (288, 3), (32, 8), (17, 24), (64, 40), (5, 3) })
        {
            using var scope = torch.NewDisposeScope();
            var (x, x64) = Float64Comparison.Random([1, cin, 64, 96], torch.bfloat16, generator);
            var (w, w64) = Float64Comparison.Random([cout, cin, 3, 3], torch.bfloat16, generator);
            var (b, b64) = Float64Comparison.Random([cout], torch.bfloat16, generator);
            var reference = EngineConvolution.Conv2d(x64, w64, b64, 1, ConvolutionKernels.LibTorchUnpadded);
            double error = Float64Comparison.RelativeError(EngineConvolution.Conv2d(x, w, b, 1), reference);
            Assert.True(error <= Float64Comparison.BFloat16Tolerance, $"bfloat16 conv2d {cin}->{cout}: relative error {error:g3}");
            output.WriteLine($"bfloat16 conv2d {cin}->{cout} at 64x96: relative error {error:g2}");
        }
    }
}
