using TorchSharp;

namespace HiStream.GpuCheck;

/// <summary>How far one output is from the reference: the fixture's elementwise test
/// (|mine − ref| ≤ atol + rtol·|ref|), the largest difference, and the relative L2 error ‖mine − ref‖ / ‖ref‖.</summary>
public sealed record ParityComparison(string Output, bool WithinFixtureTolerance, double MaxAbsDiff, double RelativeL2, bool Finite)
{
    public static ParityComparison Of(string output, torch.Tensor expected, torch.Tensor actual, double atol, double rtol)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new InvalidOperationException($"{output}: shape [{string.Join(",", actual.shape)}], reference [{string.Join(",", expected.shape)}]");
        using var scope = torch.NewDisposeScope();
        var e = expected.to(torch.ScalarType.Float64, torch.CPU);
        var a = actual.detach().to(torch.ScalarType.Float64, torch.CPU);
        var diff = (a - e).abs();
        bool finite = !a.isnan().any().item<bool>() && !a.isinf().any().item<bool>();
        bool within = finite && (diff - (e.abs() * rtol + atol)).max().item<double>() <= 0;
        double norm = e.norm().item<double>();
        return new ParityComparison(output, within, diff.max().item<double>(), norm > 0 ? (a - e).norm().item<double>() / norm : diff.max().item<double>(), finite);
    }
}
