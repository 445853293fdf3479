using HiStream.Engine.Caching;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Wan self-attention: q/k RMSNorm over the full width, 3D RoPE on q and k, SDPA against the stored keys.</summary>
internal sealed class SelfAttention : torch.nn.Module
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

    public SelfAttention(WanConfig c, torch.Device device, torch.ScalarType dtype) : base("SelfAttention")
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
    public torch.Tensor Forward(torch.Tensor x, RotaryAngles rope, ISelfAttentionKv kv, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var q = rope.Apply(_normQ.Forward(_q.forward(x)).view(b, l, _heads, _headDim));
        var k = rope.Apply(_normK.Forward(_k.forward(x)).view(b, l, _heads, _headDim));
        var v = _v.forward(x).view(b, l, _heads, _headDim);
        var (keys, values) = kv.Store(layer, k, v);
        var attended = torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2));
        var y = _o.forward(attended.transpose(1, 2).reshape(b, l, _heads * _headDim));
        return y.MoveToOuterDisposeScope();
    }
}
