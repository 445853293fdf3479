using HiStream.Engine.Caching;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Wan text cross-attention: q and k RMSNorm, no RoPE, no mask (all text_len rows attended).</summary>
internal sealed class CrossAttention : torch.nn.Module
{
    [ComponentName(Name = "q")]
    private readonly Linear _q;
    [ComponentName(Name = "k")]
    private readonly Linear _k;
    [ComponentName(Name = "v")]
    private readonly Linear _v;
    [ComponentName(Name = "o")]
    private readonly Linear _o;
    [ComponentName(Name = "norm_q")]
    private readonly RmsNorm _normQ;
    [ComponentName(Name = "norm_k")]
    private readonly RmsNorm _normK;
    private readonly int _heads;
    private readonly int _headDim;

    public CrossAttention(WanConfig c, torch.Device device, torch.ScalarType dtype) : base("CrossAttention")
    {
        _heads = c.NumHeads;
        _headDim = c.HeadDim;
        _q = Parameters.Linear(c.Dim, c.Dim, device, dtype);
        _k = Parameters.Linear(c.Dim, c.Dim, device, dtype);
        _v = Parameters.Linear(c.Dim, c.Dim, device, dtype);
        _o = Parameters.Linear(c.Dim, c.Dim, device, dtype);
        _normQ = new RmsNorm(c.Dim, c.Eps, device, dtype);
        _normK = new RmsNorm(c.Dim, c.Eps, device, dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, L, dim]</param>
    /// <param name="context">Embedded text [B, text_len, dim]; may be null when the cache already holds this layer.</param>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor? context, CrossAttentionCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var q = _normQ.Forward(_q.forward(x)).view(b, l, _heads, _headDim);
        torch.Tensor keys, values;
        if (cache == null || !cache.TryGet(layer, out keys, out values))
        {
            if (context is null) throw new InvalidOperationException($"Cross-attention layer {layer} has no cached keys and no context.");
            long t = context.shape[1];
            keys = _normK.Forward(_k.forward(context)).view(b, t, _heads, _headDim);
            values = _v.forward(context).view(b, t, _heads, _headDim);
            if (cache != null) (keys, values) = cache.Store(layer, keys, values);
        }
        var attended = torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2));
        var y = _o.forward(attended.transpose(1, 2).reshape(b, l, _heads * _headDim));
        return y.MoveToOuterDisposeScope();
    }
}
