using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// [W] AttentionBlock (decoder middle): per frame, RMS_norm, a 1×1 conv to q, k, v (first, second, third group of C
/// channels), single-head attention over the H·W positions with scale 1/√C, a 1×1 projection, plus the input.
/// Queries run in blocks so the score matrix stays small at 1080p (136×240 = 32,640 positions) on any backend.
/// </summary>
internal sealed class VaeAttentionBlock : torch.nn.Module, IDecoderBlock
{
    private const long QueryBlock = 8192;
    private readonly VaeRmsNorm _norm;
    private readonly Conv2dLayer _toQkv;
    private readonly Conv2dLayer _proj;
    private readonly long _channels;

    public VaeAttentionBlock(long channels, torch.ScalarType dtype, torch.Device device) : base(nameof(VaeAttentionBlock))
    {
        _channels = channels;
        _norm = new VaeRmsNorm(channels, images: true, dtype, device);
        _toQkv = new Conv2dLayer(channels, channels * 3, 1, dtype, device);
        _proj = new Conv2dLayer(channels, channels, 1, dtype, device);
        register_module("norm", _norm);
        register_module("to_qkv", _toQkv);
        register_module("proj", _proj);
    }

    public bool UpsamplesTime => false;

    public BandHalo Through(BandHalo halo) =>
        throw new NotSupportedException("Spatial bands cannot cross a VAE attention block (it mixes every position of a frame).");

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
        var qkv = _toQkv.Forward(_norm.Forward(frames));
        var seq = qkv.reshape(b * t, 1, c * 3, h * w).permute(0, 1, 3, 2).contiguous();
        var q = seq.narrow(3, 0, c);
        var k = seq.narrow(3, c, c);
        var v = seq.narrow(3, 2 * c, c);
        long n = h * w;
        torch.Tensor attended;
        if (n <= QueryBlock) attended = F.scaled_dot_product_attention(q, k, v);
        else
        {
            var parts = new List<torch.Tensor>();
            for (long s = 0; s < n; s += QueryBlock)
                parts.Add(F.scaled_dot_product_attention(q.narrow(2, s, Math.Min(QueryBlock, n - s)), k, v));
            attended = torch.cat(parts, 2);
        }
        var image = attended.squeeze(1).permute(0, 2, 1).reshape(b * t, c, h, w);
        var projected = _proj.Forward(image);
        var y = projected.reshape(b, t, c, h, w).permute(0, 2, 1, 3, 4).add(x);
        return y.MoveToOuterDisposeScope();
    }
}
