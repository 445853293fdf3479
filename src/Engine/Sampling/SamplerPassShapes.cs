namespace HiStream.Engine.Sampling;

/// <summary>The DiT passes each sampler runs for a request, chunk by chunk, without running the model (for <see cref="FlopModel"/>).</summary>
public static class SamplerPassShapes
{
    /// <summary>Tokens per latent frame after the (1, 2, 2) patch embedding.</summary>
    public static long TokensPerFrame(int latentHeight, int latentWidth) => (long)(latentHeight / 2) * (latentWidth / 2);

    public static IReadOnlyList<IReadOnlyList<ModelPassShape>> HiStream(HiStreamSettings settings, SamplingRequest request)
    {
        settings.Validate();
        settings.ValidateRequest(request);
        var schedule = settings.DenoisingTimesteps ?? HiStreamSettings.DefaultSchedule;
        var first = settings.FirstChunk.Resolve(schedule, nameof(settings.FirstChunk));
        var later = settings.LaterChunks.Resolve(schedule, nameof(settings.LaterChunks));
        long hiTpf = TokensPerFrame(request.LatentHeight, request.LatentWidth);
        long loTpf = TokensPerFrame(request.LatentHeight / settings.LowResolutionFactor, request.LatentWidth / settings.LowResolutionFactor);
        int f = settings.FramesPerChunk, chunks = request.LatentFrames / f;
        bool lowCacheRead = settings.LaterChunks.LowSteps > 0;

        var result = new List<IReadOnlyList<ModelPassShape>>(chunks);
        for (int c = 0; c < chunks; c++)
        {
            int frames = HiStreamWindow.FramesAttended(c * f, f, settings.WindowFrames);
            ModelPassShape Pass(PassRole role, StageResolution stage)
            {
                long tpf = stage == StageResolution.Low ? loTpf : hiTpf;
                return new ModelPassShape(role, stage, f * tpf, frames * tpf);
            }

            var passes = (c == 0 ? first : later).Select(s => Pass(PassRole.Denoise, s.Resolution)).ToList();
            if (c < chunks - 1 || settings.RefreshAfterLastChunk)
            {
                if (settings.RefreshHighCache) passes.Add(Pass(PassRole.CacheRefresh, StageResolution.High));
                if (settings.RefreshLowCache && lowCacheRead) passes.Add(Pass(PassRole.CacheRefresh, StageResolution.Low));
            }
            result.Add(passes);
        }
        return result;
    }

    /// <summary>The Self-Forcing reference loop: every step at the target size, one cache, full history unless a window is given.</summary>
    public static IReadOnlyList<IReadOnlyList<ModelPassShape>> SelfForcing(
        SamplingRequest request, int framesPerChunk = 3, int steps = 4, bool refreshAfterLastChunk = false, int? windowFrames = null)
    {
        long tpf = TokensPerFrame(request.LatentHeight, request.LatentWidth);
        int chunks = request.LatentFrames / framesPerChunk;
        var result = new List<IReadOnlyList<ModelPassShape>>(chunks);
        for (int c = 0; c < chunks; c++)
        {
            long q = framesPerChunk * tpf, k = HiStreamWindow.FramesAttended(c * framesPerChunk, framesPerChunk, windowFrames) * tpf;
            var passes = Enumerable.Repeat(new ModelPassShape(PassRole.Denoise, StageResolution.High, q, k), steps).ToList();
            if (c < chunks - 1 || refreshAfterLastChunk) passes.Add(new ModelPassShape(PassRole.CacheRefresh, StageResolution.High, q, k));
            result.Add(passes);
        }
        return result;
    }

    /// <summary>The bidirectional baseline: every step one pass over all frames (batch 2 with classifier-free guidance).</summary>
    public static IReadOnlyList<IReadOnlyList<ModelPassShape>> WanBidirectional(SamplingRequest request, int steps, bool classifierFreeGuidance)
    {
        long tokens = request.LatentFrames * TokensPerFrame(request.LatentHeight, request.LatentWidth);
        var pass = new ModelPassShape(PassRole.Denoise, StageResolution.High, tokens, tokens, classifierFreeGuidance ? 2 : 1);
        return new[] { (IReadOnlyList<ModelPassShape>)Enumerable.Repeat(pass, steps).ToArray() };
    }
}
