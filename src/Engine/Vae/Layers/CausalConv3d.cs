using TorchSharp;
using TorchSharp.Modules;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// A 3D convolution that pads time only on the past side (2·p frames) and space symmetrically. Frames from earlier
/// chunks, when given, take the place of that many zero frames. Keys: <c>weight</c>, <c>bias</c>.
/// </summary>
internal sealed class CausalConv3d : torch.nn.Module
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly long _timePad;
    private readonly long _spacePad;

    public CausalConv3d(long inChannels, long outChannels, long kernelTime, long kernelSpace, torch.ScalarType dtype, torch.Device device)
        : base(nameof(CausalConv3d))
    {
        _weight = new Parameter(torch.empty([outChannels, inChannels, kernelTime, kernelSpace, kernelSpace], dtype, device), requires_grad: false);
        _bias = new Parameter(torch.empty([outChannels], dtype, device), requires_grad: false);
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
        _timePad = kernelTime / 2;
        _spacePad = kernelSpace / 2;
        InChannels = inChannels;
        OutChannels = outChannels;
    }

    public long InChannels { get; }
    public long OutChannels { get; }

    /// <summary>Whether the conv looks at past frames (and so takes a feature-cache slot).</summary>
    public bool IsTemporal => _timePad > 0;

    /// <summary>Whether the conv has a spatial extent (each such conv widens the band halo by one row).</summary>
    public bool IsSpatial => _spacePad > 0;

    /// <param name="x">[B, C, T, H, W]</param>
    /// <param name="history">Earlier frames of the same stream (at most 2·p), or null for zero padding.</param>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor? history)
    {
        long front = 2 * _timePad;
        var spacePad = new[] { 0, _spacePad, _spacePad };
        if (front == 0) return F.conv3d(x, _weight, _bias, padding: spacePad);
        var parts = new List<torch.Tensor>(3);
        torch.Tensor? zeros = null;
        if (history is not null)
        {
            if (history.shape[2] > front) throw new InvalidOperationException($"Causal conv got {history.shape[2]} history frames, it takes at most {front}.");
            front -= history.shape[2];
        }
        if (front > 0)
        {
            zeros = torch.zeros([x.shape[0], x.shape[1], front, x.shape[3], x.shape[4]], x.dtype, x.device);
            parts.Add(zeros);
        }
        if (history is not null) parts.Add(history);
        parts.Add(x);
        using var input = torch.cat(parts, 2);
        zeros?.Dispose();
        return F.conv3d(input, _weight, _bias, padding: spacePad);
    }
}
