using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Output head: non-affine LayerNorm, per-frame shift/scale from its own table + the time embedding e, Linear.</summary>
internal sealed class Head : torch.nn.Module
{
    [ComponentName(Name = "modulation")]
    private readonly Parameter _modulation;
    [ComponentName(Name = "head")]
    private readonly Linear _head;
    private readonly double _eps;

    public Head(WanConfig c, torch.Device device, torch.ScalarType dtype) : base("Head")
    {
        _eps = c.Eps;
        _modulation = Parameters.Empty(new long[] { 1, 2, c.Dim }, device, dtype);
        _head = Parameters.Linear(c.Dim, c.HeadOutDim, device, dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, F·T, dim]</param>
    /// <param name="e">Time embedding per frame [B, F, dim].</param>
    /// <returns>[B, F·T, out_dim·prod(patch)]</returns>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor e)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], dim = x.shape[2], f = e.shape[1], tokens = x.shape[1] / f;
        var m = _modulation.unsqueeze(1).add(e.unsqueeze(2));           // [B, F, 2, dim]
        var shift = m.narrow(2, 0, 1);
        var onePlusScale = m.narrow(2, 1, 1).add(1.0);
        var h = torch.nn.functional.layer_norm(x, new[] { dim }, eps: _eps);
        h.view(b, f, tokens, dim).mul_(onePlusScale).add_(shift);
        return _head.forward(h).MoveToOuterDisposeScope();
    }
}
