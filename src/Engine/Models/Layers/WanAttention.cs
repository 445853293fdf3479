using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;

namespace HiStream.Engine.Models.Layers;

/// <summary>
/// The projections and attention shared by Wan's self- and cross-attention: q, k, v, o and the q/k RMSNorms over the
/// full width (reference names). Fields are protected, not private, so TorchSharp's reflection registers them
/// under the derived module.
/// </summary>
internal abstract class WanAttention : torch.nn.Module
{
    [ComponentName(Name = "q")]
    protected readonly Linear _q;
    [ComponentName(Name = "k")]
    protected readonly Linear _k;
    [ComponentName(Name = "v")]
    protected readonly Linear _v;
    [ComponentName(Name = "o")]
    protected readonly Linear _o;
    [ComponentName(Name = "norm_q")]
    protected readonly RmsNorm _normQ;
    [ComponentName(Name = "norm_k")]
    protected readonly RmsNorm _normK;
    protected readonly int _heads;
    protected readonly int _headDim;

    protected WanAttention(string name, WanConfig c, torch.Device device, torch.ScalarType dtype) : base(name)
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

    /// <summary>[B, L, dim] to [B, L, heads, head_dim].</summary>
    protected torch.Tensor SplitHeads(torch.Tensor t) => t.view(t.shape[0], t.shape[1], _heads, _headDim);

    /// <summary>SDPA of q [B, L, h, d] against keys/values [B, S, h, d] (scale 1/√d, no mask), then the o projection.</summary>
    protected torch.Tensor AttendAndProject(torch.Tensor q, torch.Tensor keys, torch.Tensor values)
    {
        long b = q.shape[0], l = q.shape[1];
        var attended = torch.nn.functional.scaled_dot_product_attention(q.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2));
        return _o.forward(attended.transpose(1, 2).reshape(b, l, _heads * _headDim));
    }
}
