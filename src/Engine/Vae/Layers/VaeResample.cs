using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// [W] Resample in "upsample2d" or "upsample3d" mode: nearest ×2 in space, then a 3×3 conv to half the channels
/// (key resample.1). upsample3d first doubles time with <c>time_conv</c> (a causal (3,1,1) conv to 2C channels whose
/// halves become two interleaved frames), with the reference's first-chunk quirk kept exactly (see
/// <see cref="UpsampleTime"/>).
/// </summary>
internal sealed class VaeResample : torch.nn.Module, IDecoderBlock
{
    private readonly Conv2dLayer _conv;
    private readonly CausalConv3d? _timeConv;

    public VaeResample(long dim, bool temporal, torch.ScalarType dtype, torch.Device device) : base(nameof(VaeResample))
    {
        _conv = new Conv2dLayer(dim, dim / 2, 3, dtype, device);
        register_module("resample", new IndexedModules(("1", _conv)));
        if (temporal)
        {
            _timeConv = new CausalConv3d(dim, dim * 2, 3, 1, dtype, device);
            register_module("time_conv", _timeConv);
        }
    }

    public bool UpsamplesTime => _timeConv is not null;

    public BandHalo Through(BandHalo halo) => new(halo.Rows * 2 + 1, halo.Scale * 2);

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache)
    {
        if (_timeConv is null) return UpsampleSpace(x);
        using var doubled = UpsampleTime(x, cache);
        return UpsampleSpace(doubled);
    }

    /// <summary>Nearest ×2 and the 3×3 conv to half the channels, frame by frame (the ×2 image is the largest
    /// intermediate of the decoder, so only one frame of it exists at a time).</summary>
    public torch.Tensor UpsampleSpace(torch.Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        var output = torch.empty([b, c / 2, t, 2 * h, 2 * w], x.dtype, x.device);
        for (long f = 0; f < t; f++)
        {
            using var frame = x.select(2, f);
            using var up = F.interpolate(frame, scale_factor: [2.0, 2.0], mode: torch.InterpolationMode.Nearest);
            using var conv = _conv.Forward(up);
            using var target = output.select(2, f);
            target.copy_(conv);
        }
        return output;
    }

    /// <summary>
    /// First chunk of a stream: time_conv is skipped (1 frame stays 1 frame) and the slot is marked "Rep". Second chunk:
    /// time_conv runs with zero padding, and the slot keeps the chunk's last two frames (a zero frame in front when the
    /// chunk has one). Later chunks: the slot's frames are the past, as for any causal conv.
    /// </summary>
    public torch.Tensor UpsampleTime(torch.Tensor x, FeatureCache cache)
    {
        if (_timeConv is null) throw new InvalidOperationException("This resample has no time_conv.");
        int slot = cache.NextSlot();
        if (cache.IsEmpty(slot))
        {
            cache.MarkRep(slot);
            return x.alias();
        }
        bool rep = cache.IsRep(slot);
        using var history = rep ? null : cache.Get(slot, x.device);
        torch.Tensor next = CachedCausalConv.LastFrames(x, history);
        if (rep && next.shape[2] < FeatureCache.HistoryFrames)
        {
            using var zeros = torch.zeros_like(next);
            var padded = torch.cat([zeros, next], 2);
            next.Dispose();
            next = padded;
        }
        using var y = _timeConv!.Forward(x, history);
        cache.Set(slot, next);
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        using var split = y.reshape(b, 2, c, t, h, w).permute(0, 2, 3, 1, 4, 5);
        return split.reshape(b, c, t * 2, h, w);
    }
}

/// <summary>The temporal half of an upsample3d (its time_conv and the frame interleave), as a step of its own.</summary>
internal sealed class ResampleTimeStep(VaeResample resample) : IDecoderBlock
{
    public bool UpsamplesTime => true;

    public BandHalo Through(BandHalo halo) => halo;

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache) => resample.UpsampleTime(x, cache);
}

/// <summary>The spatial half of a resample (nearest ×2, 3×3 conv), as a step of its own.</summary>
internal sealed class ResampleSpaceStep(VaeResample resample) : IDecoderBlock
{
    public bool UpsamplesTime => false;

    public BandHalo Through(BandHalo halo) => resample.Through(halo);

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache) => resample.UpsampleSpace(x);
}
