using TorchSharp;

namespace HiStream.Engine.Caching;

/// <summary>Where a self-attention layer puts its new keys/values and which keys/values its queries attend to.</summary>
internal interface ISelfAttentionKv
{
    /// <summary>Takes the chunk's RoPE'd k and v [B, n, heads, head_dim]; returns the keys and values to attend to
    /// [B, Lk, heads, head_dim] (views valid until the next call).</summary>
    (torch.Tensor Keys, torch.Tensor Values) Store(int layer, torch.Tensor k, torch.Tensor v);
}

/// <summary>Bidirectional attention over the call's own tokens (no cache).</summary>
internal sealed class OwnTokensOnly : ISelfAttentionKv
{
    public static OwnTokensOnly Instance { get; } = new();

    public (torch.Tensor Keys, torch.Tensor Values) Store(int layer, torch.Tensor k, torch.Tensor v) => (k, v);
}
