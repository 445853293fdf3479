using TorchSharp;
using TorchSharp.Modules;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Vae.Layers;

/// <summary>A plain 2D convolution with "same" padding for odd kernels. Keys: <c>weight</c>, <c>bias</c>.</summary>
internal sealed class Conv2dLayer : torch.nn.Module
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly long _pad;

    public Conv2dLayer(long inChannels, long outChannels, long kernel, torch.ScalarType dtype, torch.Device device) : base(nameof(Conv2dLayer))
    {
        _weight = new Parameter(torch.empty([outChannels, inChannels, kernel, kernel], dtype, device), requires_grad: false);
        _bias = new Parameter(torch.empty([outChannels], dtype, device), requires_grad: false);
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
        _pad = kernel / 2;
    }

    public torch.Tensor Forward(torch.Tensor x) => F.conv2d(x, _weight, _bias, padding: [_pad, _pad]);
}
