using HiStream.Engine.Caching;
using TorchSharp;

namespace HiStream.Engine.Models.Layers;

/// <summary>Wan text cross-attention: q and k RMSNorm, no RoPE, no mask (all text_len rows attended).</summary>
internal sealed class CrossAttention(WanConfig c, torch.Device device, torch.ScalarType dtype)
    : WanAttention("CrossAttention", c, device, dtype)
{
    /// <param name="x">[B, L, dim]</param>
    /// <param name="context">Embedded text [B, text_len, dim]; may be null when the cache already holds this layer.</param>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor? context, CrossAttentionCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var q = SplitHeads(_normQ.Forward(_q.forward(x)));
        torch.Tensor keys, values;
        if (cache == null || !cache.TryGet(layer, out keys, out values))
        {
            if (context is null) throw new InvalidOperationException($"Cross-attention layer {layer} has no cached keys and no context.");
            keys = SplitHeads(_normK.Forward(_k.forward(context)));
            values = SplitHeads(_v.forward(context));
            if (cache != null) (keys, values) = cache.Store(layer, keys, values);
        }
        return AttendAndProject(q, keys, values).MoveToOuterDisposeScope();
    }
}
