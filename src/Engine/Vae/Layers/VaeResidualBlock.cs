using TorchSharp;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// [W] ResidualBlock: residual = RMS_norm, SiLU, CausalConv3d(3), RMS_norm, SiLU, Dropout, CausalConv3d(3)
/// (keys residual.0/2/3/6); shortcut = a 1×1×1 causal conv when the width changes.
/// </summary>
internal sealed class VaeResidualBlock : torch.nn.Module, IDecoderBlock
{
    private readonly VaeRmsNorm _norm1;
    private readonly CausalConv3d _conv1;
    private readonly VaeRmsNorm _norm2;
    private readonly CausalConv3d _conv2;
    private readonly CausalConv3d? _shortcut;

    public VaeResidualBlock(long inDim, long outDim, torch.ScalarType dtype, torch.Device device) : base(nameof(VaeResidualBlock))
    {
        _norm1 = new VaeRmsNorm(inDim, images: false, dtype, device);
        _conv1 = new CausalConv3d(inDim, outDim, 3, 3, dtype, device);
        _norm2 = new VaeRmsNorm(outDim, images: false, dtype, device);
        _conv2 = new CausalConv3d(outDim, outDim, 3, 3, dtype, device);
        register_module("residual", new IndexedModules(("0", _norm1), ("2", _conv1), ("3", _norm2), ("6", _conv2)));
        if (inDim != outDim)
        {
            _shortcut = new CausalConv3d(inDim, outDim, 1, 1, dtype, device);
            register_module("shortcut", _shortcut);
        }
    }

    public bool UpsamplesTime => false;

    public BandHalo Through(BandHalo halo) => halo with { Rows = halo.Rows + 2 };

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache)
    {
        var a = _norm1.Forward(x);
        a.silu_();
        var b = CachedCausalConv.Run(_conv1, a, cache);
        a.Dispose();
        var c = _norm2.Forward(b);
        b.Dispose();
        c.silu_();
        var y = CachedCausalConv.Run(_conv2, c, cache);
        c.Dispose();
        if (_shortcut is null) return y.add_(x);
        using var h = _shortcut.Forward(x, null);
        return y.add_(h);
    }
}
