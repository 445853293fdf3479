using HiStream.Engine.Numerics;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Conv3d with kernel = stride = patch size, flattened to tokens (frame, row, column; column fastest).</summary>
internal sealed class PatchEmbedding : torch.nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter _bias;
    private readonly long[] _patch;

    public PatchEmbedding(WanConfig c, torch.Device device, torch.ScalarType dtype) : base("PatchEmbedding")
    {
        _patch = new long[] { c.PatchSize.T, c.PatchSize.H, c.PatchSize.W };
        _weight = Parameters.Empty(new long[] { c.Dim, c.InDim, c.PatchSize.T, c.PatchSize.H, c.PatchSize.W }, device, dtype);
        _bias = Parameters.Empty(new long[] { c.Dim }, device, dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, in_dim, F, H, W]</param>
    /// <returns>Raw conv output [B, dim, F/pt, H/ph, W/pw].</returns>
    public torch.Tensor Forward(torch.Tensor x) =>
        EngineConvolution.Conv3d(x, _weight, _bias, _patch, [0, 0, 0]);
}
