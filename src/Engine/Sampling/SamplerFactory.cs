namespace HiStream.Engine.Sampling;

/// <summary>The two views of one DiT (same weights) that the samplers run on.</summary>
public sealed record SamplerModels(ICausalChunkModel Causal, IBidirectionalVideoModel Bidirectional);

/// <summary>Per-sampler settings; anything left null takes that sampler's defaults.</summary>
public sealed record SamplerOptions
{
    public HiStreamSettings? HiStream { get; init; }
    public HiStreamSettings? HiStreamPlus { get; init; }
    public WanBidirectionalSettings? WanBidirectional { get; init; }

    /// <summary>Observes the caches of the chunk samplers (memory, frames attended) after each chunk's denoising.</summary>
    public Action<ChunkCacheReport>? CacheObserver { get; init; }
}

/// <summary>Selects a sampler by name; every sampler runs on the same model and weights.</summary>
public static class SamplerFactory
{
    /// <summary>The reference chunk loop at the target resolution with full causal history.</summary>
    public const string SelfForcing = "self-forcing";
    /// <summary>Dual-resolution caching + anchor-guided sliding window.</summary>
    public const string HiStream = "histream";
    /// <summary>HiStream + asymmetric denoising.</summary>
    public const string HiStreamPlus = "histream-plus";
    /// <summary>The non-causal baseline: all frames at once, 50 steps with classifier-free guidance.</summary>
    public const string WanBidirectional = "wan-bidirectional";

    public static IReadOnlyList<string> Names { get; } = new[] { SelfForcing, HiStream, HiStreamPlus, WanBidirectional };

    public static IVideoSampler Create(string name, SamplerModels models, SamplerOptions? options = null)
    {
        var key = name?.Trim().ToLowerInvariant();
        if (key is null || !Names.Contains(key))
            throw new ArgumentException($"Unknown sampler '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        ArgumentNullException.ThrowIfNull(models);
        options ??= new SamplerOptions();
        return key switch
        {
            SelfForcing => new HiStreamSampler(models.Causal, HiStreamSettings.SelfForcingReference, SelfForcing, options.CacheObserver),
            HiStream => new HiStreamSampler(models.Causal, options.HiStream ?? HiStreamSettings.HiStream, HiStream, options.CacheObserver),
            HiStreamPlus => new HiStreamSampler(models.Causal, options.HiStreamPlus ?? HiStreamSettings.HiStreamPlus, HiStreamPlus, options.CacheObserver),
            WanBidirectional => new WanBidirectionalSampler(models.Bidirectional, options.WanBidirectional),
            _ => throw new InvalidOperationException($"Sampler '{key}' is listed but not wired."),
        };
    }
}
