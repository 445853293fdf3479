using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>Pre-norm block: x + attn(norm1(x)) with this layer's own position bias, then x + ffn(norm2(x)).</summary>
internal sealed class T5EncoderBlock : nn.Module<Tensor, Tensor?, Tensor, Tensor>
{
    private readonly T5LayerNorm norm1, norm2;
    private readonly T5Attention attn;
    private readonly T5GatedFeedForward ffn;
    private readonly T5RelativePositionBias pos_embedding;

    public T5EncoderBlock(UmT5Config c, ScalarType dtype, Device device) : base("T5SelfAttention")
    {
        norm1 = new T5LayerNorm(c.Dim, c.Eps, dtype, device);
        attn = new T5Attention(c, dtype, device);
        norm2 = new T5LayerNorm(c.Dim, c.Eps, dtype, device);
        ffn = new T5GatedFeedForward(c, dtype, device);
        pos_embedding = new T5RelativePositionBias(c.NumBuckets, c.NumHeads, dtype, device);
        RegisterComponents();
    }

    public Tensor PositionBias(Tensor buckets) => pos_embedding.call(buckets);

    /// <param name="buckets">[L, L] relative position buckets shared by all layers (each layer has its own table).</param>
    public override Tensor forward(Tensor x, Tensor? keyMask, Tensor buckets)
    {
        using var scope = torch.NewDisposeScope();
        var bias = pos_embedding.call(buckets);
        var h = Fp16Clamp(x + attn.call(norm1.call(x), keyMask, bias));
        return Fp16Clamp(h + ffn.call(norm2.call(h))).MoveToOuterDisposeScope();
    }

    /// <summary>The reference clamps float16 activations that overflowed to infinity; other dtypes pass through.</summary>
    private static Tensor Fp16Clamp(Tensor x)
    {
        if (x.dtype != ScalarType.Float16 || !x.isinf().any().item<bool>()) return x;
        double clamp = torch.finfo(ScalarType.Float16).max - 1000;
        return x.clamp(-clamp, clamp);
    }
}
