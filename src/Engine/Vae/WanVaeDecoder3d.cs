using HiStream.Engine.Vae.Layers;
using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// [W] Decoder3d: conv1, middle (residual, attention, residual), upsampling stages, head, run once per latent frame.
/// Every layer after the middle is causal in time, so the frames a temporal upsampler produces can be pushed on one
/// slice at a time (depth first, the feature-cache cursor rewound for each slice) without changing the result.
/// The tail (from the spatial half of the last temporal upsampler to the head) is also local in space, so it can be
/// run on bands of rows with a halo.
/// </summary>
internal sealed class WanVaeDecoder3d : torch.nn.Module
{
    private readonly CausalConv3d _conv1;
    private readonly IDecoderBlock[] _middle;
    private readonly IDecoderBlock[] _upsamples;
    private readonly VaeHead _head;
    private readonly IDecoderBlock[] _steps;
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

        var steps = new List<IDecoderBlock>(_middle);
        foreach (var block in _upsamples)
        {
            if (block is VaeResample { UpsamplesTime: true } resample)
            {
                steps.Add(new ResampleTimeStep(resample));
                steps.Add(new ResampleSpaceStep(resample));
            }
            else steps.Add(block);
        }
        steps.Add(_head);
        _steps = steps.ToArray();
        // The tail must not contain the middle attention (it mixes a whole frame), even without temporal upsamplers.
        _tailStart = Math.Max(Array.FindLastIndex(_steps, b => b.UpsamplesTime), Array.FindLastIndex(_steps, b => b is VaeAttentionBlock)) + 1;
        var halo = BandHalo.Start;
        foreach (var block in _steps.Skip(_tailStart)) halo = block.Through(halo);
        TailScale = halo.Scale;
        TailHaloRows = halo.InputRows;
    }

    /// <summary>Spatial factor from the tail's input to the output.</summary>
    public int TailScale { get; }

    /// <summary>Rows of context a band of the tail's input needs on each side to come out exact.</summary>
    public int TailHaloRows { get; }

    /// <summary>
    /// One latent frame [B, z, 1, h, w] (after conv2) through conv1, the middle and the upsamplers up to the last
    /// temporal one. After each temporal upsampler its frames continue in slices of <paramref name="framesPerSlice"/>
    /// (0 = all at once); each slice that reaches the tail's input is handed to <paramref name="onTailInput"/>, which
    /// must run the tail before returning (the next slice depends on the caches it updates).
    /// </summary>
    public void RunTrunk(torch.Tensor x, FeatureCache cache, int framesPerSlice, Action<torch.Tensor> onTailInput)
    {
        var h = CachedCausalConv.Run(_conv1, x, cache);
        RunSteps(0, h, cache, framesPerSlice, onTailInput);
    }

    private void RunSteps(int first, torch.Tensor h, FeatureCache cache, int framesPerSlice, Action<torch.Tensor> onTailInput)
    {
        try
        {
            for (int i = first; i < _tailStart; i++)
            {
                var next = _steps[i].Forward(h, cache);
                h.Dispose();
                h = next;
                long frames = h.shape[2];
                if (!_steps[i].UpsamplesTime || framesPerSlice == 0 || frames <= framesPerSlice) continue;
                int mark = cache.Cursor;
                for (long s = 0; s < frames; s += framesPerSlice)
                {
                    cache.Cursor = mark;
                    RunSteps(i + 1, h.narrow(2, s, Math.Min(framesPerSlice, frames - s)), cache, framesPerSlice, onTailInput);
                }
                return;
            }
            onTailInput(h);
        }
        finally
        {
            h.Dispose();
        }
    }

    /// <summary>Trunk output frames (any number, any band of rows) through the high-resolution stages and the head.</summary>
    public torch.Tensor RunTail(torch.Tensor x, FeatureCache cache)
    {
        torch.Tensor h = x.alias();
        for (int i = _tailStart; i < _steps.Length; i++)
        {
            var next = _steps[i].Forward(h, cache);
            h.Dispose();
            h = next;
        }
        return h;
    }
}
