using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>
/// One layer's bidirectional relative position bias: a [num_buckets, heads] table indexed by the bucket of
/// (key index - query index). Parameter name "embedding.weight" as in the reference T5RelativeEmbedding.
/// </summary>
internal sealed class T5RelativePositionBias : nn.Module<Tensor, Tensor>
{
    private readonly ParameterHolder embedding;

    public T5RelativePositionBias(int numBuckets, int numHeads, ScalarType dtype, Device device) : base("T5RelativeEmbedding")
    {
        embedding = new ParameterHolder(torch.empty(numBuckets, numHeads, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <param name="buckets">[Lq, Lk] int64 from <see cref="Buckets"/>.</param>
    /// <returns>[1, heads, Lq, Lk] in the table's dtype.</returns>
    public override Tensor forward(Tensor buckets)
    {
        long lq = buckets.shape[0], lk = buckets.shape[1];
        using var flat = buckets.reshape(-1);
        using var rows = embedding.Weight.index_select(0, flat);
        using var table = rows.view(lq, lk, -1);
        using var perm = table.permute(2, 0, 1);
        return perm.unsqueeze(0).contiguous();
    }

    /// <summary>
    /// Bucket of (k - q): half the buckets per direction (positive offsets in the upper half); offsets below a quarter
    /// of the buckets map to themselves, larger ones log-spaced up to maxDistance, computed in float32 as the reference does.
    /// </summary>
    public static Tensor Buckets(long lq, long lk, int numBuckets, int maxDistance, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var rel = torch.arange(lk, dtype: ScalarType.Int64, device: device).unsqueeze(0)
                  - torch.arange(lq, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        int half = numBuckets / 2;
        int maxExact = half / 2;
        var buckets = rel.gt(0).to(ScalarType.Int64) * half;
        var n = rel.abs();
        var large = (torch.log(n.to(ScalarType.Float32) / maxExact) / Math.Log((double)maxDistance / maxExact) * (half - maxExact)).to(ScalarType.Int64) + maxExact;
        large = torch.minimum(large, torch.full_like(large, half - 1));
        buckets = buckets + torch.where(n.lt(maxExact), n, large);
        return buckets.MoveToOuterDisposeScope();
    }
}
