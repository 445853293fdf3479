using System.Globalization;
using TorchSharp;

namespace HiStream.Engine.Numerics;

/// <summary>
/// Load-time check of a model's convolutions on this machine: each shape runs on random data through libtorch as it is
/// and through the engine's kernels, against float64. The first engine kernels that are right on every shape are
/// chosen; if none are, loading fails, so wrong pixels are never returned silently.
/// </summary>
public static class ConvolutionCheck
{
    /// <summary>Probe frame size: large enough for libtorch to choose oneDNN (its broken kernels show at 64x96).</summary>
    public const long ProbeHeight = 64, ProbeWidth = 96;

    /// <summary>Output channels above this are cut to it in the probe (keeping the count's remainder mod 16, where the
    /// bugs live); this bounds the float64 reference's cost for the real 1152-channel layers.</summary>
    public const long ProbeOutChannels = 32;

    private static readonly ConvolutionKernels[] Candidates = [ConvolutionKernels.LibTorchPaddedChannels, ConvolutionKernels.MatrixMultiply];

    /// <summary>The relative error above which a result counts as wrong, for the dtype the model computes in.</summary>
    public static double Tolerance(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float64 => 1e-10,
        torch.ScalarType.Float32 => 1e-4,
        _ => 3e-2, // bfloat16 / float16: 8 or 11 mantissa bits on inputs and output
    };

    public static ConvolutionCheckReport Run(IEnumerable<ConvolutionShape> shapes, torch.ScalarType dtype, torch.Device device)
    {
        var distinct = shapes.Distinct().OrderBy(s => s.InChannels).ThenBy(s => s.OutChannels).ThenBy(s => s.Kernel).ToList();
        if (device.type != DeviceType.CPU)
            return new ConvolutionCheckReport(ConvolutionKernels.LibTorchPaddedChannels, distinct, [], 0,
                $"Convolution check: skipped on {device} (the libtorch oneDNN bug it guards against is CPU-only).");
        using var noGrad = torch.no_grad();
        var generator = new torch.Generator(20261201);
        var libTorchWrong = new List<ConvolutionShape>();
        double libTorchWorst = 0;
        var worst = new Dictionary<ConvolutionKernels, double>();
        foreach (var candidate in Candidates)
        {
            worst[candidate] = 0;
            foreach (var shape in distinct)
            {
                var (raw, error) = Probe(shape, dtype, candidate, generator);
                if (candidate == Candidates[0])
                {
                    libTorchWorst = Math.Max(libTorchWorst, raw);
                    if (!(raw <= Tolerance(dtype))) libTorchWrong.Add(shape);
                }
                worst[candidate] = Math.Max(worst[candidate], error);
                if (double.IsNaN(error)) worst[candidate] = double.NaN;
            }
            if (worst[candidate] <= Tolerance(dtype)) break;
        }
        var chosen = Candidates.FirstOrDefault(k => worst.TryGetValue(k, out var e) && e <= Tolerance(dtype), (ConvolutionKernels)(-1));
        string libTorchPart = libTorchWrong.Count == 0
            ? "libtorch's own convolution was right on all of them"
            : $"libtorch's own convolution was WRONG on {libTorchWrong.Count} ({string.Join(", ", libTorchWrong.Take(4))}{(libTorchWrong.Count > 4 ? ", ..." : "")}; worst relative error {Format(libTorchWorst)})";
        string probed = $"Convolution check ({dtype}, {ProbeHeight}x{ProbeWidth}, oneDNN ISA cap {Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "none"}): probed {distinct.Count} shapes against float64; {libTorchPart}";
        if ((int)chosen == -1)
            throw new InvalidOperationException(
                $"{probed}; and no engine convolution was right on this CPU ({string.Join(", ", Candidates.Select(k => $"{k}: {Format(worst[k])}"))}, tolerance {Format(Tolerance(dtype))}). " +
                "Refusing to decode wrong pixels. Setting ONEDNN_MAX_CPU_ISA=SSE41 in the environment before starting may help.");
        return new ConvolutionCheckReport(chosen, distinct, libTorchWrong, worst[chosen],
            $"{probed}; the engine uses {chosen} (worst relative error {Format(worst[chosen])}, tolerance {Format(Tolerance(dtype))}).");
    }

    /// <summary>Relative errors of libtorch as it is and of <paramref name="kernels"/> on one random input.</summary>
    private static (double LibTorch, double Kernels) Probe(ConvolutionShape shape, torch.ScalarType dtype, ConvolutionKernels kernels, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long cout = shape.OutChannels <= ProbeOutChannels ? shape.OutChannels : ProbeOutChannels - 16 + shape.OutChannels % 16;
        var x = torch.randn([1, shape.InChannels, ProbeHeight, ProbeWidth], generator: generator).to(dtype);
        var w = torch.randn([cout, shape.InChannels, shape.Kernel, shape.Kernel], generator: generator).to(dtype);
        var b = torch.randn([cout], generator: generator).to(dtype);
        // float64 has no oneDNN kernels: libtorch computes it with im2col and a double GEMM.
        var reference = EngineConvolution.Conv2d(x.to(torch.float64), w.to(torch.float64), b.to(torch.float64), shape.Padding, ConvolutionKernels.LibTorchUnpadded);
        double scale = Math.Max(reference.abs().max().item<double>(), 1e-30);
        double Error(ConvolutionKernels k) =>
            (EngineConvolution.Conv2d(x, w, b, shape.Padding, k).to(torch.float64) - reference).abs().max().item<double>() / scale;
        return (Error(ConvolutionKernels.LibTorchUnpadded), Error(kernels));
    }

    private static string Format(double v) => v.ToString("0.#e+0", CultureInfo.InvariantCulture);
}
