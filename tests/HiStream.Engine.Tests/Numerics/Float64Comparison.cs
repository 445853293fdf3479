using TorchSharp;

namespace HiStream.Engine.Tests.Numerics;

/// <summary>Error of a low-precision result against a float64 computation on the same (rounded) inputs, relative to the
/// reference's largest magnitude. The libtorch conv bug shows as ~0.5; correct float32 as ~1e-6.</summary>
internal static class Float64Comparison
{
    /// <summary>float32: sums of up to ~10^4 products (K·taps) stay far below this.</summary>
    public const double Float32Tolerance = 1e-4;

    /// <summary>bfloat16 output rounding alone is 2^-9 relative (half an ulp); 4 ulps of the largest value allows for
    /// bfloat16 intermediates (softmax probabilities in attention) and stays ~30x below the bug's error.</summary>
    public const double BFloat16Tolerance = 1.6e-2;

    public static double Tolerance(torch.ScalarType dtype) => dtype == torch.ScalarType.BFloat16 ? BFloat16Tolerance : Float32Tolerance;

    public static double RelativeError(torch.Tensor actual, torch.Tensor reference)
    {
        using var a = actual.to(torch.float64);
        using var diff = (a - reference).abs();
        double scale = Math.Max(reference.abs().max().item<double>(), 1e-30);
        return diff.max().item<double>() / scale;
    }

    /// <summary>Random input of the given shape in <paramref name="dtype"/> and the same values in float64.</summary>
    public static (torch.Tensor Low, torch.Tensor High) Random(long[] shape, torch.ScalarType dtype, torch.Generator generator)
    {
        using var x = torch.randn(shape, generator: generator);
        var low = x.to(dtype);
        return (low, low.to(torch.float64));
    }
}
