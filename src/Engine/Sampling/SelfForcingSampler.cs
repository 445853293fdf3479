using System.Diagnostics;
using HiStream.Engine.Caching;
using HiStream.Engine.Models;
using HiStream.Engine.Random;
using HiStream.Engine.Scheduling;
using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// Self-Forcing's autoregressive chunk loop (model-spec §2.7). For each chunk of latent frames: start from noise,
/// run the warped denoising steps (x0 = x − σ·v, then re-noise to the next step), keep the last x0 as the chunk,
/// then run one pass at the context-noise timestep (0) on that x0 so the KV cache holds the clean chunk for the
/// chunks that follow. Noise comes from an <see cref="INoiseSource"/> keyed by (seed, chunk, step, purpose), so a
/// run resumed from finished chunks (their refresh passes are replayed in order) continues exactly as the
/// uninterrupted run would have.
/// </summary>
public sealed class SelfForcingSampler : IVideoSampler
{
    private readonly WanDiT _model;
    private readonly SelfForcingOptions _options;
    private readonly INoiseSource _noise;
    private readonly FlowMatchScheduler _scheduler;
    private readonly float[] _steps;
    private readonly torch.Device _device;
    private readonly torch.ScalarType _dtype;

    public SelfForcingSampler(WanDiT model, SelfForcingOptions? options = null, INoiseSource? noise = null)
    {
        _model = model;
        _options = (options ?? new SelfForcingOptions()).Validate();
        _noise = noise ?? new NoiseSource();
        _device = TorchRuntime.ParseDevice(_options.Device);
        _dtype = TorchRuntime.ParseDType(_options.DType);
        if (model.Device.type != _device.type || (_device.index >= 0 && model.Device.index != _device.index) || model.DType != _dtype)
            throw new ArgumentException($"The model lives on {model.Device} as {model.DType}, the sampler options ask for {_options.Device} as {_options.DType}; create the model with the same device and dtype.");
        _scheduler = new FlowMatchScheduler(_options.TimestepShift);
        _steps = _options.WarpDenoisingSteps
            ? _scheduler.WarpSteps(_options.DenoisingSteps)
            : _options.DenoisingSteps.Select(s => (float)s).ToArray();
    }

    public string Name => "self-forcing";

    /// <summary>The timesteps fed to the model, in order (e.g. 1000, 937.5, 833.33, 625).</summary>
    public IReadOnlyList<float> Timesteps => _steps;

    public SamplerPlan Plan(SamplingRequest request)
    {
        Validate(request);
        int chunks = ChunkCount(request.LatentFrames);
        var passes = new int[chunks];
        for (int c = 0; c < chunks; c++) passes[c] = _steps.Length + (RefreshesAfter(c, chunks) ? 1 : 0);
        var descriptions = _steps.Select((t, i) => $"denoise step {i + 1}/{_steps.Length} at t={t:0.###}").ToList();
        descriptions.Add($"cache refresh at t={_options.ContextNoise:0.###}");
        return new SamplerPlan(chunks, passes, descriptions);
    }

    public IEnumerable<GeneratedChunk> Generate(SamplingRequest request, SamplerResumeState? resume = null, CancellationToken cancellationToken = default)
    {
        Validate(request);
        int chunks = ChunkCount(request.LatentFrames);
        var finished = resume?.FinishedChunks ?? Array.Empty<torch.Tensor>();
        if (finished.Count > chunks)
            throw new ArgumentException($"Resume state has {finished.Count} finished chunks, the request has only {chunks}.", nameof(resume));
        for (int c = 0; c < finished.Count; c++)
        {
            var expected = new long[] { _model.Config.OutDim, FramesIn(c, request.LatentFrames), request.LatentHeight, request.LatentWidth };
            if (!finished[c].shape.SequenceEqual(expected))
                throw new ArgumentException($"Finished chunk {c} is [{string.Join(", ", finished[c].shape)}], this request's chunk {c} is [{string.Join(", ", expected)}].", nameof(resume));
        }
        return Run(request, finished, chunks, cancellationToken);
    }

    private IEnumerable<GeneratedChunk> Run(SamplingRequest request, IReadOnlyList<torch.Tensor> finished, int chunks, CancellationToken ct)
    {
        var cfg = _model.Config;
        using var kv = KvCache.ForLatentGrid(cfg, 1, request.LatentHeight, request.LatentWidth, _options.Window, request.LatentFrames, _device, _dtype);
        using var cross = new CrossAttentionCache(cfg, 1, _device, _dtype);
        using var context = PrepareContext(request.TextContext);

        for (int c = 0; c < finished.Count; c++)
        {
            ct.ThrowIfCancellationRequested();
            Refresh(finished[c], c, request, kv, cross, context);
        }
        for (int c = finished.Count; c < chunks; c++)
        {
            ct.ThrowIfCancellationRequested();
            yield return RunChunk(c, chunks, request, kv, cross, context, ct);
        }
    }

    private GeneratedChunk RunChunk(int chunk, int chunks, SamplingRequest request, KvCache kv, CrossAttentionCache cross, torch.Tensor context, CancellationToken ct)
    {
        int frames = FramesIn(chunk, request.LatentFrames);
        int startFrame = chunk * _options.FramesPerChunk;
        var shape = new long[] { 1, _model.Config.InDim, frames, request.LatentHeight, request.LatentWidth };
        var clock = Stopwatch.StartNew();
        torch.Tensor latents;
        TimeSpan denoise;
        using (var scope = torch.NewDisposeScope())
        {
            var x = Noise(new NoiseKey(request.Seed, chunk, 0, NoisePurpose.InitialLatent), shape);
            torch.Tensor x0 = x;
            for (int i = 0; i < _steps.Length; i++)
            {
                // A chunk stopped part-way leaves the cache with noisy keys of this chunk; a later run resumes from
                // the finished chunks, so that does no harm.
                ct.ThrowIfCancellationRequested();
                var flow = _model.ForwardCausal(x, FrameTimes(_steps[i], frames), context, kv, cross, startFrame);
                x0 = _scheduler.FlowToX0(x, flow, _steps[i]);
                if (i + 1 < _steps.Length)
                    x = _scheduler.AddNoise(x0, Noise(new NoiseKey(request.Seed, chunk, i + 1, NoisePurpose.Renoise), shape), _steps[i + 1]);
            }
            latents = x0[0].to(torch.ScalarType.Float32, torch.CPU, copy: true);
            denoise = clock.Elapsed;
            if (RefreshesAfter(chunk, chunks)) RefreshCore(x0, startFrame, frames, request.Seed, chunk, kv, cross, context);
            Synchronize();
            latents.MoveToOuterDisposeScope();
        }
        var total = clock.Elapsed;
        int passes = _steps.Length + (RefreshesAfter(chunk, chunks) ? 1 : 0);
        return new GeneratedChunk(chunk, startFrame, latents, new ChunkTiming(denoise, total - denoise, passes));
    }

    /// <summary>Rebuilds the cache from a finished chunk, exactly as its refresh pass left it.</summary>
    private void Refresh(torch.Tensor chunkLatents, int chunk, SamplingRequest request, KvCache kv, CrossAttentionCache cross, torch.Tensor context)
    {
        using var scope = torch.NewDisposeScope();
        var x0 = chunkLatents.unsqueeze(0).to(_dtype, _device);
        RefreshCore(x0, chunk * _options.FramesPerChunk, (int)chunkLatents.shape[1], request.Seed, chunk, kv, cross, context);
    }

    private void RefreshCore(torch.Tensor x0, int startFrame, int frames, long seed, int chunk, KvCache kv, CrossAttentionCache cross, torch.Tensor context)
    {
        using var scope = torch.NewDisposeScope();
        var input = x0;
        if (_options.ContextNoise > 0)
            input = _scheduler.AddNoise(x0, Noise(new NoiseKey(seed, chunk, 0, NoisePurpose.ContextNoise), x0.shape), _options.ContextNoise);
        _model.ForwardCausal(input, FrameTimes(_options.ContextNoise, frames), context, kv, cross, startFrame);
    }

    private torch.Tensor Noise(NoiseKey key, long[] shape)
    {
        using var cpu = _noise.Draw(key, shape);
        if (!cpu.shape.SequenceEqual(shape))
            throw new InvalidOperationException($"Noise source returned [{string.Join(", ", cpu.shape)}] for {key}, expected [{string.Join(", ", shape)}].");
        return cpu.to(_dtype, _device, copy: true);
    }

    private torch.Tensor FrameTimes(float t, int frames) => torch.full(new long[] { 1, frames }, t, torch.ScalarType.Float32, _device);

    private torch.Tensor PrepareContext(torch.Tensor textContext) =>
        textContext.unsqueeze(0).to(_dtype, _device, copy: true).DetachFromDisposeScope();

    private void Synchronize()
    {
        if (_device.type == DeviceType.CUDA) torch.cuda.synchronize(_device);
    }

    private bool RefreshesAfter(int chunk, int chunks) => chunk + 1 < chunks || _options.RefreshAfterLastChunk;

    private int ChunkCount(int latentFrames) => (latentFrames + _options.FramesPerChunk - 1) / _options.FramesPerChunk;

    private int FramesIn(int chunk, int latentFrames) => Math.Min(_options.FramesPerChunk, latentFrames - chunk * _options.FramesPerChunk);

    private void Validate(SamplingRequest request)
    {
        var cfg = _model.Config;
        if (request.LatentFrames <= 0) throw new ArgumentException($"LatentFrames must be positive, got {request.LatentFrames}.", nameof(request));
        if (request.LatentHeight <= 0 || request.LatentHeight % cfg.PatchSize.H != 0 || request.LatentWidth <= 0 || request.LatentWidth % cfg.PatchSize.W != 0)
            throw new ArgumentException($"Latent size {request.LatentHeight}x{request.LatentWidth} must be positive and divisible by the patch size ({cfg.PatchSize.H}, {cfg.PatchSize.W}).", nameof(request));
        if (cfg.PatchSize.T != 1) throw new NotSupportedException($"Temporal patch size {cfg.PatchSize.T} is not supported by the chunk loop (Wan uses 1).");
        var ctx = request.TextContext;
        if (ctx.dim() != 2 || ctx.shape[1] != cfg.TextDim || ctx.shape[0] == 0 || ctx.shape[0] > cfg.TextLen)
            throw new ArgumentException($"TextContext must be [L, {cfg.TextDim}] with 1 <= L <= {cfg.TextLen}, got [{string.Join(", ", ctx.shape)}].", nameof(request));
    }
}
