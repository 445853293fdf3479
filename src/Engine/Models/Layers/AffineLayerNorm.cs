using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>LayerNorm over the last axis with weight and bias (Wan's <c>norm3</c>).</summary>
internal sealed class AffineLayerNorm : torch.nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter _bias;
    private readonly double _eps;

    public AffineLayerNorm(long dim, double eps, torch.Device device, torch.ScalarType dtype) : base("AffineLayerNorm")
    {
        _eps = eps;
        _weight = Parameters.Empty(new[] { dim }, device, dtype);
        _bias = Parameters.Empty(new[] { dim }, device, dtype);
        RegisterComponents();
    }

    public torch.Tensor Forward(torch.Tensor x) =>
        torch.nn.functional.layer_norm(x, new[] { x.shape[^1] }, _weight, _bias, _eps);
}
