using TorchSharp;

namespace HiStream.Engine.Vae.Layers;

/// <summary>[W] decoder head: RMS_norm (key 0), SiLU, CausalConv3d to 3 channels (key 2).</summary>
internal sealed class VaeHead : torch.nn.Module, IDecoderBlock
{
    private readonly VaeRmsNorm _norm;
    private readonly CausalConv3d _conv;

    public VaeHead(long dim, torch.ScalarType dtype, torch.Device device) : base(nameof(VaeHead))
    {
        _norm = new VaeRmsNorm(dim, images: false, dtype, device);
        _conv = new CausalConv3d(dim, 3, 3, 3, dtype, device);
        register_module("0", _norm);
        register_module("2", _conv);
    }

    public bool UpsamplesTime => false;

    public BandHalo Through(BandHalo halo) => halo with { Rows = halo.Rows + 1 };

    public torch.Tensor Forward(torch.Tensor x, FeatureCache cache)
    {
        var a = _norm.Forward(x);
        a.silu_();
        var y = CachedCausalConv.Run(_conv, a, cache);
        a.Dispose();
        return y;
    }
}
