using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>
/// One Wan transformer block with per-frame modulation: the six vectors (block modulation + the frame's time
/// projection) are shift/scale/gate for self-attention, then shift/scale/gate for the FFN.
/// </summary>
internal sealed class AttentionBlock : torch.nn.Module
{
    [ComponentName(Name = "modulation")]
    private readonly Parameter _modulation;
    [ComponentName(Name = "self_attn")]
    private readonly SelfAttention _selfAttn;
    [ComponentName(Name = "norm3")]
    private readonly AffineLayerNorm _norm3;
    [ComponentName(Name = "cross_attn")]
    private readonly CrossAttention _crossAttn;
    [ComponentName(Name = "ffn")]
    private readonly TwoLayerMlp _ffn;
    private readonly double _eps;
    private readonly int _layer;

    public AttentionBlock(int layer, WanConfig c, torch.Device device, torch.ScalarType dtype) : base("AttentionBlock")
    {
        _layer = layer;
        _eps = c.Eps;
        _modulation = Parameters.Empty(new long[] { 1, 6, c.Dim }, device, dtype);
        _selfAttn = new SelfAttention(c, device, dtype);
        _norm3 = new AffineLayerNorm(c.Dim, c.Eps, device, dtype);
        _crossAttn = new CrossAttention(c, device, dtype);
        _ffn = new TwoLayerMlp(c.Dim, c.FfnDim, c.Dim, MlpActivation.GeluTanh, device, dtype);
        RegisterComponents();
    }

    /// <summary>Updates the residual stream <paramref name="x"/> [B, F·T, dim] in place.</summary>
    /// <param name="e0">Time projection per frame [B, F, 6, dim].</param>
    public void Forward(torch.Tensor x, torch.Tensor e0, in BlockInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], dim = x.shape[2];
        long f = e0.shape[1], tokens = x.shape[1] / f;
        var m = e0.add(_modulation.unsqueeze(1));                      // [B, F, 6, dim]
        var shiftSa = m.narrow(2, 0, 1);                               // [B, F, 1, dim] each
        var scaleSa = m.narrow(2, 1, 1).add(1.0);
        var gateSa = m.narrow(2, 2, 1);
        var shiftFfn = m.narrow(2, 3, 1);
        var scaleFfn = m.narrow(2, 4, 1).add(1.0);
        var gateFfn = m.narrow(2, 5, 1);
        var xf = x.view(b, f, tokens, dim);

        var h = Modulate(x, scaleSa, shiftSa, b, f, tokens, dim);
        var y = _selfAttn.Forward(h, inputs.Rope, inputs.SelfKv, _layer);
        xf.addcmul_(y.view(b, f, tokens, dim), gateSa, 1);

        x.add_(_crossAttn.Forward(_norm3.Forward(x), inputs.Context, inputs.CrossCache, _layer));

        h = Modulate(x, scaleFfn, shiftFfn, b, f, tokens, dim);
        y = _ffn.Forward(h);
        xf.addcmul_(y.view(b, f, tokens, dim), gateFfn, 1);
    }

    /// <summary>LayerNorm(x) without affine, then · (1 + scale) + shift per frame.</summary>
    private torch.Tensor Modulate(torch.Tensor x, torch.Tensor onePlusScale, torch.Tensor shift, long b, long f, long tokens, long dim)
    {
        var h = torch.nn.functional.layer_norm(x, new[] { dim }, eps: _eps);
        h.view(b, f, tokens, dim).mul_(onePlusScale).add_(shift);
        return h;
    }
}

/// <summary>What every block of one model call shares.</summary>
internal readonly record struct BlockInputs(
    RotaryAngles Rope,
    HiStream.Engine.Caching.ISelfAttentionKv SelfKv,
    torch.Tensor? Context,
    HiStream.Engine.Caching.CrossAttentionCache? CrossCache);
