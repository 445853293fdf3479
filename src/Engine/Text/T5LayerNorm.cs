using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>T5's RMS norm: x * rsqrt(mean(x^2) + eps) in float32, cast to the weight's dtype if half, times weight. No mean, no bias.</summary>
internal sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public T5LayerNorm(long dim, double eps, ScalarType dtype, Device device) : base("T5LayerNorm")
    {
        weight = new Parameter(torch.ones(dim, dtype: dtype, device: device), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var xf = x.to(ScalarType.Float32);
        var y = xf * torch.rsqrt(xf.pow(2).mean(new long[] { -1 }, keepdim: true) + _eps);
        if (weight.dtype is ScalarType.BFloat16 or ScalarType.Float16) y = y.to(weight.dtype);
        return (weight * y).MoveToOuterDisposeScope();
    }
}
