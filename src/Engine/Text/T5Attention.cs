using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>
/// T5 self-attention: q, k, v, o without bias; logits q·kᵀ with no 1/√d scaling plus the position bias; masked keys
/// get the dtype's minimum in place of the bias; softmax in float32.
/// </summary>
internal sealed class T5Attention : nn.Module<Tensor, Tensor?, Tensor, Tensor>
{
    private readonly BiasFreeLinear q, k, v, o;
    private readonly int _heads;
    private readonly int _headDim;

    public T5Attention(UmT5Config c, ScalarType dtype, Device device) : base("T5Attention")
    {
        q = new BiasFreeLinear(c.Dim, c.DimAttn, dtype, device);
        k = new BiasFreeLinear(c.Dim, c.DimAttn, dtype, device);
        v = new BiasFreeLinear(c.Dim, c.DimAttn, dtype, device);
        o = new BiasFreeLinear(c.DimAttn, c.Dim, dtype, device);
        _heads = c.NumHeads;
        _headDim = c.HeadDim;
        RegisterComponents();
    }

    /// <param name="x">[B, L, dim]</param>
    /// <param name="keyMask">[B, L] (nonzero = real token) or null for no padding.</param>
    /// <param name="positionBias">[1, heads, L, L]</param>
    public override Tensor forward(Tensor x, Tensor? keyMask, Tensor positionBias)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], len = x.shape[1];
        var qh = q.call(x).view(b, len, _heads, _headDim).transpose(1, 2);
        var kh = k.call(x).view(b, len, _heads, _headDim).transpose(1, 2);
        var vh = v.call(x).view(b, len, _heads, _headDim).transpose(1, 2);
        var bias = positionBias.to(x.dtype).expand(b, _heads, len, len);
        if (keyMask is not null)
        {
            var masked = keyMask.view(b, 1, 1, len).eq(0);
            bias = bias.masked_fill(masked, torch.finfo(x.dtype).min);
        }
        var logits = qh.matmul(kh.transpose(-1, -2)) + bias;
        var attn = logits.softmax(-1, ScalarType.Float32).to(x.dtype);
        var y = attn.matmul(vh).transpose(1, 2).reshape(b, len, _heads * _headDim);
        return o.call(y).MoveToOuterDisposeScope();
    }
}
