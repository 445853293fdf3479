using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>
/// The umT5 encoder of Wan2.1 (T5Encoder, shared_pos False) with the reference state-dict names:
/// token_embedding.weight, blocks.{i}.{norm1,attn.{q,k,v,o},norm2,ffn.{gate.0,fc1,fc2},pos_embedding.embedding}.weight, norm.weight.
/// Parameters are created uninitialised in the requested dtype and device; load weights or call <see cref="InitializeRandom"/>.
/// </summary>
public sealed class UmT5EncoderModel : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ParameterHolder token_embedding;
    private readonly ModuleList<T5EncoderBlock> blocks;
    private readonly T5LayerNorm norm;

    public UmT5EncoderModel(UmT5Config config, ScalarType dtype, Device device) : base("T5Encoder")
    {
        config.Validate();
        Config = config;
        DType = dtype;
        Device = device;
        token_embedding = new ParameterHolder(torch.empty(config.Vocab, config.Dim, dtype: dtype, device: device));
        blocks = new ModuleList<T5EncoderBlock>(Enumerable.Range(0, config.NumLayers).Select(_ => new T5EncoderBlock(config, dtype, device)).ToArray());
        norm = new T5LayerNorm(config.Dim, config.Eps, dtype, device);
        RegisterComponents();
        eval();
    }

    public UmT5Config Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }

    /// <param name="ids">[B, L] int64 token ids.</param>
    /// <param name="mask">[B, L] with 1 for real tokens and 0 for padding, or null when every position is real.</param>
    /// <returns>[B, L, dim] hidden states for every position (padding rows included), in the model dtype.</returns>
    public override Tensor forward(Tensor ids, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (ids.dim() != 2) throw new ArgumentException($"ids must be [B, L], got [{string.Join(",", ids.shape)}].", nameof(ids));
        long b = ids.shape[0], len = ids.shape[1];
        var idsOnDevice = ids.to(ScalarType.Int64).to(Device);
        var maskOnDevice = mask?.to(Device);
        var x = token_embedding.Weight.index_select(0, idsOnDevice.reshape(-1)).view(b, len, Config.Dim);
        var buckets = T5RelativePositionBias.Buckets(len, len, Config.NumBuckets, Config.MaxDistance, Device);
        foreach (var block in blocks) x = block.call(x, maskOnDevice, buckets);
        return norm.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>Layer i's [1, heads, L, L] relative position bias (for inspection and tests).</summary>
    public Tensor PositionBias(int layer, long length)
    {
        using var buckets = T5RelativePositionBias.Buckets(length, length, Config.NumBuckets, Config.MaxDistance, Device);
        return blocks[layer].PositionBias(buckets);
    }

    /// <summary>
    /// Seeded random weights at scales that keep activations of order one (the reference fixtures' scheme): linear
    /// N(0,1)/sqrt(fan_in), token embedding N(0,1), position tables 0.5·N(0,1), norm weights 1 + 0.1·N(0,1).
    /// </summary>
    public void InitializeRandom(long seed)
    {
        using var noGrad = torch.no_grad();
        var gen = new Generator((ulong)seed);
        foreach (var (name, p) in named_parameters())
        {
            using var r = torch.randn(p.shape, dtype: ScalarType.Float32, generator: gen);
            Tensor value;
            if (name.EndsWith("norm1.weight") || name.EndsWith("norm2.weight") || name == "norm.weight") value = r * 0.1 + 1.0;
            else if (name.EndsWith("pos_embedding.embedding.weight")) value = r * 0.5;
            else if (name == "token_embedding.weight") value = r.alias();
            else value = r / Math.Sqrt(p.shape[1]);
            using (value) p.copy_(value);
        }
    }
}
