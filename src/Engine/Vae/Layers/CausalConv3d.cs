using TorchSharp;
using TorchSharp.Modules;
using HiStream.Engine.Numerics;

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

    /// <summary>The CPU kernels (chosen by the model's load-time <see cref="ConvolutionCheck"/>).</summary>
    public ConvolutionKernels Kernels { get; set; }

    /// <summary>The 2D convolutions this layer runs (one per number of taps that see real frames), for <see cref="ConvolutionCheck"/>.</summary>
    public IEnumerable<ConvolutionShape> Shapes =>
        Enumerable.Range(1, (int)_weight.shape[2]).Select(taps => new ConvolutionShape(taps * InChannels, OutChannels, _weight.shape[3], _spacePad));

    /// <summary>Whether the conv looks at past frames (and so takes a feature-cache slot).</summary>
    public bool IsTemporal => _timePad > 0;

    /// <summary>Whether the conv has a spatial extent (each such conv widens the band halo by one row).</summary>
    public bool IsSpatial => _spacePad > 0;

    /// <param name="x">[B, C, T, H, W]</param>
    /// <param name="history">Earlier frames of the same stream (at most 2·p), or null for zero padding.</param>
    /// <remarks>
    /// A temporal kernel of 3 runs as one 2D convolution per output frame over its three input frames stacked on the
    /// channel axis (weights reordered tap-major to match). That is the same sum as the 3D convolution, but it avoids
    /// the CPU 3D-convolution path's column buffer (C·27 values per output pixel: 4 GB for one 480p frame at the last
    /// stage) and the concatenation of history and input, and it skips taps that would only see zero padding.
    /// A temporal kernel of 1 takes the same per-frame 2D path rather than libtorch's conv3d: oneDNN picks other kernels
    /// for 3D, and only the 2D convolutions in <see cref="Shapes"/> are verified by <see cref="ConvolutionCheck"/>.
    /// </remarks>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor? history)
    {
        long kernelT = _weight.shape[2];
        long historyFrames = history?.shape[2] ?? 0;
        long front = 2 * _timePad - historyFrames;
        if (front < 0) throw new InvalidOperationException($"Causal conv got {historyFrames} history frames, it takes at most {2 * _timePad}.");
        if (history is not null && (history.shape[0] != x.shape[0] || history.shape[1] != x.shape[1] || history.shape[3] != x.shape[3] || history.shape[4] != x.shape[4]))
            throw new InvalidOperationException($"Causal conv history [{string.Join(",", history.shape)}] does not fit input [{string.Join(",", x.shape)}].");
        long b = x.shape[0], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        long outH = h + 2 * _spacePad - (_weight.shape[3] - 1), outW = w + 2 * _spacePad - (_weight.shape[4] - 1);
        var output = torch.empty([b, OutChannels, t, outH, outW], x.dtype, x.device);
        var weights = new torch.Tensor?[kernelT];
        try
        {
            for (long o = 0; o < t; o++)
            {
                // Output frame o sees padded-sequence frames o .. o+kernelT-1; the first `front` of that sequence are zeros.
                long skip = Math.Max(0, front - o);
                var frames = new List<torch.Tensor>((int)(kernelT - skip));
                try
                {
                    for (long k = skip; k < kernelT; k++)
                    {
                        long s = o + k - front;
                        frames.Add(s < historyFrames ? history!.select(2, s) : x.select(2, s - historyFrames));
                    }
                    using var input = frames.Count == 1 ? frames[0].alias() : torch.cat(frames, 1);
                    weights[skip] ??= TapMajorWeight(skip);
                    using var y = EngineConvolution.Conv2d(input, weights[skip]!, _bias, _spacePad, Kernels);
                    using var target = output.select(2, o);
                    target.copy_(y);
                }
                finally
                {
                    foreach (var f in frames) f.Dispose();
                }
            }
        }
        finally
        {
            foreach (var wt in weights) wt?.Dispose();
        }
        return output;
    }

    /// <summary>Weight [Cout, Cin, kT, kh, kw] without its first <paramref name="skip"/> taps, as [Cout, (kT−skip)·Cin, kh, kw].</summary>
    private torch.Tensor TapMajorWeight(long skip)
    {
        long taps = _weight.shape[2] - skip;
        using var kept = _weight.narrow(2, skip, taps);
        using var tapMajor = kept.permute(0, 2, 1, 3, 4);
        return tapMajor.reshape(OutChannels, taps * InChannels, _weight.shape[3], _weight.shape[4]);
    }
}
