using TorchSharp;
using TorchSharp.Modules;
using HiStream.Engine.Numerics;

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

    /// <summary>The CPU kernels (chosen by the model's load-time <see cref="ConvolutionCheck"/>).</summary>
    public ConvolutionKernels Kernels { get; set; }

    /// <summary>The convolution this layer runs, for <see cref="ConvolutionCheck"/>.</summary>
    public ConvolutionShape Shape => new(_weight.shape[1], _weight.shape[0], _weight.shape[2], _pad);

    public torch.Tensor Forward(torch.Tensor x) => EngineConvolution.Conv2d(x, _weight, _bias, _pad, Kernels);
}
