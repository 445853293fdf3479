using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Wan's RMSNorm over the last axis: x·rsqrt(mean(x²)+eps), computed in float32 and cast back, then × weight.</summary>
internal sealed class RmsNorm : torch.nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    private readonly double _eps;

    public RmsNorm(long dim, double eps, torch.Device device, torch.ScalarType dtype) : base("RmsNorm")
    {
        _eps = eps;
        _weight = Parameters.Empty(new[] { dim }, device, dtype);
        RegisterComponents();
    }

    public torch.Tensor Forward(torch.Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var xf = x.dtype == torch.ScalarType.Float32 || x.dtype == torch.ScalarType.Float64 ? x : x.to(torch.ScalarType.Float32);
        // rsqrt(mean(x²) + eps) from one reduction pass: ‖x‖²/dim.
        var inv = torch.linalg.vector_norm(xf, 2, new long[] { -1 }, keepdim: true).pow_(2).div_(x.shape[^1]).add_(_eps).rsqrt_();
        var y = xf.mul(inv);
        if (y.dtype != x.dtype) y = y.to(x.dtype);
        y.mul_(_weight);
        return y.MoveToOuterDisposeScope();
    }
}
