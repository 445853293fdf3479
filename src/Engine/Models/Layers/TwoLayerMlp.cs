using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

internal enum MlpActivation { SiLU, GeluTanh }

/// <summary>Linear → activation → Linear, registered as "0" and "2" like the reference nn.Sequential.</summary>
internal sealed class TwoLayerMlp : torch.nn.Module
{
    [ComponentName(Name = "0")]
    private readonly Linear _first;
    [ComponentName(Name = "2")]
    private readonly Linear _second;
    private readonly MlpActivation _activation;

    public TwoLayerMlp(long inDim, long hidden, long outDim, MlpActivation activation, torch.Device device, torch.ScalarType dtype) : base("TwoLayerMlp")
    {
        _activation = activation;
        _first = Parameters.Linear(inDim, hidden, device, dtype);
        _second = Parameters.Linear(hidden, outDim, device, dtype);
        RegisterComponents();
    }

    public torch.Tensor Forward(torch.Tensor x)
    {
        using var h = _first.forward(x);
        switch (_activation)
        {
            case MlpActivation.SiLU: torch.nn.functional.silu(h, inplace: true); break;
            default: torch.nn.functional.gelu(h, GELU.Approximate.tanh, inplace: true); break;
        }
        return _second.forward(h);
    }
}

/// <summary>SiLU → Linear, registered as "1" (Wan's <c>time_projection</c>).</summary>
internal sealed class SiluLinear : torch.nn.Module
{
    [ComponentName(Name = "1")]
    private readonly Linear _linear;

    public SiluLinear(long inDim, long outDim, torch.Device device, torch.ScalarType dtype) : base("SiluLinear")
    {
        _linear = Parameters.Linear(inDim, outDim, device, dtype);
    }

    public torch.Tensor Forward(torch.Tensor x)
    {
        using var h = torch.nn.functional.silu(x);
        return _linear.forward(h);
    }
}
