using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>
/// A module holding one frozen parameter named "weight" (an embedding table), created uninitialised in the target
/// dtype and device: the 5.7B-parameter umT5 must not be materialised in float32 first.
/// </summary>
internal sealed class ParameterHolder : nn.Module
{
    private readonly Parameter weight;

    public ParameterHolder(Tensor value) : base("ParameterHolder")
    {
        weight = new Parameter(value, requires_grad: false);
        RegisterComponents();
    }

    public Tensor Weight => weight;
}

/// <summary>Linear layer without bias (T5 uses none), weight [out, in].</summary>
internal sealed class BiasFreeLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public BiasFreeLinear(long inFeatures, long outFeatures, ScalarType dtype, Device device) : base("Linear")
    {
        weight = new Parameter(torch.empty(outFeatures, inFeatures, dtype: dtype, device: device), requires_grad: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight);
}
