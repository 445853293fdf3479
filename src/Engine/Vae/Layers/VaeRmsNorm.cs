using TorchSharp;
using TorchSharp.Modules;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// The VAE's RMS_norm: an L2 normalisation over channels (eps 1e-12 on the norm, no mean-square eps), times √C times
/// <c>gamma</c> ([C,1,1,1] for video, [C,1,1] for images). Wan2.1 builds it without bias.
/// </summary>
internal sealed class VaeRmsNorm : torch.nn.Module
{
    private readonly Parameter _gamma;
    private readonly double _scale;

    public VaeRmsNorm(long channels, bool images, torch.ScalarType dtype, torch.Device device) : base(nameof(VaeRmsNorm))
    {
        long[] shape = images ? [channels, 1, 1] : [channels, 1, 1, 1];
        _gamma = new Parameter(torch.empty(shape, dtype, device), requires_grad: false);
        register_parameter("gamma", _gamma);
        _scale = Math.Sqrt(channels);
    }

    public torch.Tensor Forward(torch.Tensor x)
    {
        var y = F.normalize(x, p: 2, dim: 1, eps: 1e-12);
        return y.mul_(_scale).mul_(_gamma);
    }
}
