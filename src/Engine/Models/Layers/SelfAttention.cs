using HiStream.Engine.Caching;
using TorchSharp;

namespace HiStream.Engine.Models.Layers;

/// <summary>Wan self-attention: q/k RMSNorm over the full width, 3D RoPE on q and k, SDPA against the stored keys.</summary>
internal sealed class SelfAttention(WanConfig c, torch.Device device, torch.ScalarType dtype)
    : WanAttention("SelfAttention", c, device, dtype)
{
    /// <param name="x">[B, L, dim]</param>
    public torch.Tensor Forward(torch.Tensor x, RotaryAngles rope, ISelfAttentionKv kv, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var q = rope.Apply(SplitHeads(_normQ.Forward(_q.forward(x))));
        var k = rope.Apply(SplitHeads(_normK.Forward(_k.forward(x))));
        var v = SplitHeads(_v.forward(x));
        var (keys, values) = kv.Store(layer, k, v);
        return AttendAndProject(q, keys, values).MoveToOuterDisposeScope();
    }
}
