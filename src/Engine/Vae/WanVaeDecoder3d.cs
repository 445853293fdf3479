using HiStream.Engine.Vae.Layers;
using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// [W] Decoder3d: conv1, middle (residual, attention, residual), upsampling stages, head. It runs in two parts:
/// the trunk (up to and including the last temporal upsampler) once per latent frame, and the tail (the
/// remaining high-resolution stages and the head), which is purely local in space and causal in time, so it can be
/// fed a few pixel frames or a band of rows at a time without changing the result.
/// </summary>
internal sealed class WanVaeDecoder3d : torch.nn.Module
{
    private readonly CausalConv3d _conv1;
    private readonly IDecoderBlock[] _middle;
    private readonly IDecoderBlock[] _upsamples;
    private readonly VaeHead _head;
    private readonly int _tailStart;

    public WanVaeDecoder3d(WanVaeConfig config, torch.ScalarType dtype, torch.Device device) : base("decoder")
    {
        var mult = config.DimMult;
        var dims = new[] { config.BaseDim * mult[^1] }.Concat(mult.Reverse().Select(m => config.BaseDim * m)).Select(d => (long)d).ToArray();
        var temporal = config.TemporalUpsample;

        _conv1 = new CausalConv3d(config.ZDim, dims[0], 3, 3, dtype, device);
        register_module("conv1", _conv1);

        var mid0 = new VaeResidualBlock(dims[0], dims[0], dtype, device);
        var attn = new VaeAttentionBlock(dims[0], dtype, device);
        var mid2 = new VaeResidualBlock(dims[0], dims[0], dtype, device);
        _middle = [mid0, attn, mid2];
        register_module("middle", new IndexedModules(("0", mid0), ("1", attn), ("2", mid2)));

        var ups = new List<IDecoderBlock>();
        for (int i = 0; i < mult.Count; i++)
        {
            long inDim = i == 0 ? dims[i] : dims[i] / 2;
            long outDim = dims[i + 1];
            for (int r = 0; r < config.NumResBlocks + 1; r++)
            {
                ups.Add(new VaeResidualBlock(inDim, outDim, dtype, device));
                inDim = outDim;
            }
            if (i != mult.Count - 1) ups.Add(new VaeResample(outDim, temporal[i], dtype, device));
        }
        _upsamples = ups.ToArray();
        register_module("upsamples", new IndexedModules(_upsamples.Select((m, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), (torch.nn.Module)m)).ToArray()));

        _head = new VaeHead(dims[^1], dtype, device);
        register_module("head", _head);

        int lastTemporal = Array.FindLastIndex(_upsamples, b => b.UpsamplesTime);
        _tailStart = lastTemporal + 1;
        var halo = BandHalo.Start;
        foreach (var block in Tail) halo = block.Through(halo);
        TailScale = halo.Scale;
        TailHaloRows = halo.InputRows;
    }

    /// <summary>Spatial factor from the tail's input to the output.</summary>
    public int TailScale { get; }

    /// <summary>Rows of context a band of the tail's input needs on each side to come out exact.</summary>
    public int TailHaloRows { get; }

    private IEnumerable<IDecoderBlock> Tail => _upsamples.Skip(_tailStart).Append(_head);

    /// <summary>One latent frame [B, z, 1, h, w] (after conv2) through conv1, middle and the temporal upsamplers.</summary>
    public torch.Tensor RunTrunk(torch.Tensor x, FeatureCache cache)
    {
        var h = CachedCausalConv.Run(_conv1, x, cache);
        foreach (var block in _middle.Concat(_upsamples.Take(_tailStart)))
        {
            var next = block.Forward(h, cache);
            h.Dispose();
            h = next;
        }
        return h;
    }

    /// <summary>Trunk output frames (any number, any band of rows) through the high-resolution stages and the head.</summary>
    public torch.Tensor RunTail(torch.Tensor x, FeatureCache cache)
    {
        torch.Tensor h = x.alias();
        foreach (var block in Tail)
        {
            var next = block.Forward(h, cache);
            h.Dispose();
            h = next;
        }
        return h;
    }
}
