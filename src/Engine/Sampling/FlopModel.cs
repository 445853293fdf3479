namespace HiStream.Engine.Sampling;

/// <summary>
/// Analytic matmul FLOPs of a Wan2.1 DiT pass (model-spec §7; multiply-add = 2 FLOPs):
/// per query token, layers·2·(6·dim² + 2·dim·ffn) for the linear layers (self q,k,v,o, cross q,o, FFN) plus
/// layers·4·dim·text_len for cross-attention against the cached text keys; per (query, key) pair of self-attention,
/// 4·dim·layers. Patch embedding, head, text MLP and the one-off cross-attention K/V projection are left out
/// (under 1% at the real sizes). For the 1.3B model a pass costs N_q·2.595 GFLOP + 184,320·N_q·L_k.
/// </summary>
public sealed class FlopModel
{
    public FlopModel(int dim, int ffnDim, int layers, int textLen)
    {
        if (dim < 1 || ffnDim < 1 || layers < 1 || textLen < 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Invalid model dimensions (dim {dim}, ffn {ffnDim}, layers {layers}, text_len {textLen}).");
        Dim = dim;
        FfnDim = ffnDim;
        Layers = layers;
        TextLen = textLen;
    }

    /// <summary>Wan2.1-T2V-1.3B: dim 1536, ffn 8960, 30 layers, 512 text tokens.</summary>
    public static FlopModel Wan13B { get; } = new(1536, 8960, 30, 512);

    public int Dim { get; }
    public int FfnDim { get; }
    public int Layers { get; }
    public int TextLen { get; }

    public double LinearFlopsPerToken => Layers * 2.0 * (6.0 * Dim * (double)Dim + 2.0 * Dim * (double)FfnDim);
    public double CrossAttentionFlopsPerToken => Layers * 4.0 * Dim * (double)TextLen;
    public double SelfAttentionFlopsPerPair => 4.0 * Dim * Layers;

    public double PassFlops(ModelPassShape pass) =>
        pass.Batch * (pass.QueryTokens * (LinearFlopsPerToken + CrossAttentionFlopsPerToken)
                      + SelfAttentionFlopsPerPair * pass.QueryTokens * (double)pass.KeyTokens);

    /// <summary>Attention's share of a pass (the part the sliding window bounds).</summary>
    public double AttentionShare(ModelPassShape pass) =>
        pass.Batch * SelfAttentionFlopsPerPair * pass.QueryTokens * (double)pass.KeyTokens / PassFlops(pass);

    public double ChunkFlops(IEnumerable<ModelPassShape> passes) => passes.Sum(PassFlops);

    public double TotalFlops(IEnumerable<IReadOnlyList<ModelPassShape>> chunks) => chunks.Sum(ChunkFlops);
}
