namespace HiStream.Engine.Text;

/// <summary>
/// Constructor arguments of Wan2.1's T5Encoder in its umT5 layout (gated-GELU FFN, no attention scaling,
/// one relative-position table per layer), under the reference's own names where they exist.
/// </summary>
public sealed record UmT5Config(
    int Vocab,
    int Dim,
    int DimAttn,
    int DimFfn,
    int NumHeads,
    int NumLayers,
    int NumBuckets = 32,
    int MaxDistance = 128,
    double Eps = 1e-6,
    int TextLen = 512)
{
    /// <summary>models_t5_umt5-xxl-enc-bf16.pth as used by Wan2.1-T2V-1.3B and Self-Forcing.</summary>
    public static UmT5Config Xxl { get; } = new(Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFfn: 10240, NumHeads: 64, NumLayers: 24);

    /// <summary>The dimensions of the umt5-encoder-tiny reference fixture.</summary>
    public static UmT5Config Tiny { get; } = new(Vocab: 128, Dim: 32, DimAttn: 32, DimFfn: 64, NumHeads: 2, NumLayers: 2, TextLen: 16);

    public int HeadDim => DimAttn / NumHeads;

    public long ParameterCount =>
        (long)Vocab * Dim + Dim
        + (long)NumLayers * (2L * Dim + 4L * Dim * DimAttn + 3L * Dim * DimFfn + (long)NumBuckets * NumHeads);

    public void Validate()
    {
        if (Vocab <= 0 || Dim <= 0 || DimAttn <= 0 || DimFfn <= 0 || NumHeads <= 0 || NumLayers <= 0 || TextLen <= 0)
            throw new ArgumentException($"umT5 config has a non-positive size: {this}.");
        if (DimAttn % NumHeads != 0) throw new ArgumentException($"umT5 dim_attn {DimAttn} is not divisible by num_heads {NumHeads}.");
        if (NumBuckets < 4 || NumBuckets % 2 != 0) throw new ArgumentException($"umT5 num_buckets {NumBuckets} must be even and >= 4.");
    }
}
