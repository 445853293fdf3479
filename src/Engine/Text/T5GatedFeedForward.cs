using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>fc2(fc1(x) ⊙ gelu_tanh(gate(x))), no biases. "gate.0" as in the reference's Sequential(Linear, GELU).</summary>
internal sealed class T5GatedFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<BiasFreeLinear> gate;
    private readonly BiasFreeLinear fc1, fc2;

    public T5GatedFeedForward(UmT5Config c, ScalarType dtype, Device device) : base("T5FeedForward")
    {
        gate = new ModuleList<BiasFreeLinear>(new BiasFreeLinear(c.Dim, c.DimFfn, dtype, device));
        fc1 = new BiasFreeLinear(c.Dim, c.DimFfn, dtype, device);
        fc2 = new BiasFreeLinear(c.DimFfn, c.Dim, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var g = gate[0].call(x);
        using var act = nn.functional.gelu(g, GELU.Approximate.tanh);
        using var h = fc1.call(x);
        h.mul_(act);
        return fc2.call(h);
    }
}
