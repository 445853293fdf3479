using HiStream.Engine.Sampling;

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

    /// <summary>The estimate with each sampler's default settings (HiStream: anchor 1 + 3 neighbours + a chunk).</summary>
    public long EstimateVideoBytes(int width, int height, int latentFrames, string sampler)
    {
        bool wan = sampler.Equals("wan-bidirectional", StringComparison.OrdinalIgnoreCase);
        bool sliding = sampler.StartsWith("histream", StringComparison.OrdinalIgnoreCase);
        int chunk = _m.ChunkLatentFrames;
        return Estimate(width, height, latentFrames, wan, chunk, sliding ? _anchorFrames + _neighbourFrames + chunk : null, sliding ? 2 : 0);
    }

    /// <summary>The estimate with a chunk sampler's own settings (chunk length, window, low-resolution factor), or
    /// wan-bidirectional when <paramref name="chunked"/> is null.</summary>
    public long EstimateVideoBytes(int width, int height, int latentFrames, HiStreamSettings? chunked)
    {
        if (chunked is null) return Estimate(width, height, latentFrames, wan: true, _m.ChunkLatentFrames, null, 0);
        int lowFactor = chunked.LowResolutionFactor > 1 && (chunked.FirstChunk.LowSteps > 0 || chunked.LaterChunks.LowSteps > 0) ? chunked.LowResolutionFactor : 0;
        return Estimate(width, height, latentFrames, wan: false, chunked.FramesPerChunk, chunked.WindowFrames, lowFactor);
    }

    /// <param name="windowFrames">Latent frames each KV cache holds (null: the whole history).</param>
    /// <param name="lowFactor">The low-resolution cache's downscale (0: no low-resolution cache).</param>
    /// <exception cref="OverflowException">The estimate does not fit a long (a wrapped, negative one would admit anything).</exception>
    private long Estimate(int width, int height, int latentFrames, bool wan, int chunkFrames, int? windowFrames, int lowFactor)
    {
        if (chunkFrames < 1 || windowFrames < 1)
            throw new ArgumentOutOfRangeException(windowFrames < 1 ? nameof(windowFrames) : nameof(chunkFrames),
                $"A memory estimate needs a chunk and a window of at least 1 latent frame (chunk {chunkFrames}, window {windowFrames}).");
        checked
        {
            long tokensPerFrame = (long)(height / VideoRequest.VaeSpatialStride / _m.PatchHeight) * (width / VideoRequest.VaeSpatialStride / _m.PatchWidth);
            long kvPerToken = 2L * _m.Layers * _m.Dim * _m.ElementBytes;
            int chunk = Math.Min(chunkFrames, latentFrames);
            long window = windowFrames is { } w ? Math.Min(latentFrames, w) : latentFrames;

            long kv = kvPerToken * tokensPerFrame * window;
            if (lowFactor > 0) kv += kvPerToken * (tokensPerFrame / ((long)lowFactor * lowFactor)) * window; // low-resolution cache
            if (wan) kv = 0; // no cache, but all frames at once
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
}
