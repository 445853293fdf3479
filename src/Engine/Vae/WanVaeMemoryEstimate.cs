using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// Size of the decoder's temporal feature cache once a video is past its second latent frame (every slot then holds
/// two frames). This is the memory a streaming decode keeps between chunks, on top of the weights and the transient
/// activations of the layer being run. Whole frames; row bands add their halo overlap on top.
/// </summary>
public static class WanVaeMemoryEstimate
{
    public static long FeatureCacheBytes(WanVaeConfig config, long latentHeight, long latentWidth, torch.ScalarType dtype)
    {
        long element = dtype switch
        {
            torch.ScalarType.Float64 => 8,
            torch.ScalarType.Float32 => 4,
            torch.ScalarType.BFloat16 or torch.ScalarType.Float16 => 2,
            _ => throw new ArgumentException($"Unsupported VAE dtype {dtype}.", nameof(dtype)),
        };
        long total = 0;
        foreach (var (channels, scale) in CacheSlots(config))
            total += FeatureCache.HistoryFrames * channels * latentHeight * scale * latentWidth * scale * element;
        return total;
    }

    /// <summary>(input channels, spatial scale relative to the latent) of every cached layer, in call order.</summary>
    public static IReadOnlyList<(long Channels, int Scale)> CacheSlots(WanVaeConfig config)
    {
        var mult = config.DimMult;
        var dims = new[] { config.BaseDim * mult[^1] }.Concat(mult.Reverse().Select(m => config.BaseDim * m)).Select(d => (long)d).ToArray();
        var slots = new List<(long, int)> { (config.ZDim, 1) };
        for (int i = 0; i < 4; i++) slots.Add((dims[0], 1));
        int scale = 1;
        for (int i = 0; i < mult.Count; i++)
        {
            long inDim = i == 0 ? dims[i] : dims[i] / 2, outDim = dims[i + 1];
            for (int r = 0; r < config.NumResBlocks + 1; r++)
            {
                slots.Add((inDim, scale));
                slots.Add((outDim, scale));
                inDim = outDim;
            }
            if (i == mult.Count - 1) continue;
            if (config.TemporalUpsample[i]) slots.Add((outDim, scale));
            scale *= 2;
        }
        slots.Add((dims[^1], scale));
        return slots;
    }
}
