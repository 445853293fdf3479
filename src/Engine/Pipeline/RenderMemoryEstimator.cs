namespace HiStream.Engine.Pipeline;

/// <summary>Device memory one video holds while it renders, from the model sizes and the video's latent grid:
/// self-attention KV caches (high resolution, plus the low-resolution cache for the HiStream samplers), the
/// cross-attention cache, one chunk's activations and the decoder's causal feature cache.</summary>
public sealed class RenderMemoryEstimator
{
    private readonly ModelDimensions _m;
    private readonly int _anchorFrames;
    private readonly int _neighbourFrames;

    /// <param name="anchorFrames">HiStream anchor (sink) frames; <paramref name="neighbourFrames"/>: recent frames kept.
    /// The default is the FLOP-fitted window's 3 neighbours, one frame more than the sampler's default of 2: the estimate
    /// is an admission bound, so it also covers videos that ask for that wider window.</param>
    public RenderMemoryEstimator(ModelDimensions model, int anchorFrames = 1, int neighbourFrames = Sampling.HiStreamSettings.FlopFittedNeighbourFrames)
    {
        _m = model;
        _anchorFrames = anchorFrames;
        _neighbourFrames = neighbourFrames;
    }

    public long ModelBytes => _m.ParameterCount * _m.ElementBytes;

    public long EstimateVideoBytes(int width, int height, int latentFrames, string sampler)
    {
        long tokensPerFrame = (long)(height / VideoRequest.VaeSpatialStride / _m.PatchHeight) * (width / VideoRequest.VaeSpatialStride / _m.PatchWidth);
        long kvPerToken = 2L * _m.Layers * _m.Dim * _m.ElementBytes;
        int chunk = Math.Min(_m.ChunkLatentFrames, latentFrames);
        bool sliding = sampler.StartsWith("histream", StringComparison.OrdinalIgnoreCase);
        long window = sliding ? Math.Min(latentFrames, _anchorFrames + _neighbourFrames + chunk) : latentFrames;

        long kv = kvPerToken * tokensPerFrame * window;
        if (sliding) kv += kvPerToken * (tokensPerFrame / 4) * window; // low-resolution cache (½ × ½ grid)
        if (sampler.Equals("wan-bidirectional", StringComparison.OrdinalIgnoreCase)) kv = 0; // no cache, but all frames at once
        long crossAttention = 2L * _m.Layers * _m.TextLen * _m.Dim * _m.ElementBytes;
        long activeTokens = tokensPerFrame * (kv == 0 ? latentFrames : chunk);
        long attendedTokens = kv == 0 ? activeTokens : tokensPerFrame * window;
        // One block's working set: residual stream, q/k/v/o, FFN inner width, attention output; plus the attended K/V.
        long activations = activeTokens * (8L * _m.Dim + 2L * _m.FfnDim) * _m.ElementBytes + attendedTokens * 2L * _m.Dim * _m.ElementBytes;
        long latents = 4L * 16 * latentFrames * (height / VideoRequest.VaeSpatialStride) * (width / VideoRequest.VaeSpatialStride) * 2;
        // Wan VAE decoder: two cached frames per causal conv at every scale (≈ 700 bytes per output pixel in bf16).
        long decoderCache = 350L * _m.ElementBytes * width * height;
        return kv + crossAttention + activations + latents + decoderCache;
    }
}
