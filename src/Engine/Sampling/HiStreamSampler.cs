using HiStream.Engine.Random;
using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// HiStream (and HiStream+): chunk-by-chunk generation with dual-resolution caching (the first steps of a chunk at
/// low resolution, the x0 latent upsampled and re-noised, the last steps at high resolution with NTK-scaled spatial
/// RoPE; two KV caches refreshed from the final chunk and its downsampled copy) and an anchor-guided sliding window
/// (anchor frames + neighbour frames + the chunk) over both caches. Every open choice is a
/// <see cref="HiStreamSettings"/> option.
/// <para>
/// Each chunk is handed out as soon as its last denoising step finishes. The refresh passes that commit it to the
/// caches run at the start of the next chunk (so the last chunk needs none); a chunk's
/// <see cref="ChunkTiming.CacheUpdate"/> is that commit of the previous chunk, and Denoise + CacheUpdate is the wall
/// time between two yields.
/// </para>
/// </summary>
public sealed class HiStreamSampler : IVideoSampler
{
    private readonly ICausalChunkModel _model;
    private readonly IReadOnlyList<PlannedStep> _firstPlan;
    private readonly IReadOnlyList<PlannedStep> _laterPlan;
    private readonly HiStreamLatentResampler _resampler;
    private readonly Action<ChunkCacheReport>? _cacheObserver;
    private readonly INoiseSource _noise;

    /// <param name="cacheObserver">Called after each chunk's denoising with the caches' state (memory, frames attended).</param>
    /// <param name="noise">Gaussian draws, keyed by (seed, chunk, step, purpose); default <see cref="NoiseSource"/>.</param>
    public HiStreamSampler(ICausalChunkModel model, HiStreamSettings settings, string name = "histream",
        Action<ChunkCacheReport>? cacheObserver = null, INoiseSource? noise = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _model = model;
        Settings = settings;
        Name = name;
        _cacheObserver = cacheObserver;
        _noise = noise ?? new NoiseSource();
        var schedule = settings.DenoisingTimesteps ?? HiStreamSettings.DefaultSchedule;
        _firstPlan = settings.FirstChunk.Resolve(schedule, $"HiStreamSettings.{nameof(settings.FirstChunk)}");
        _laterPlan = settings.LaterChunks.Resolve(schedule, $"HiStreamSettings.{nameof(settings.LaterChunks)}");
        _resampler = new HiStreamLatentResampler(settings.LowResolutionFactor, settings.Upsample, settings.Downsample);
        LowThetas = new RopeThetas(model.RopeTheta, model.RopeTheta, model.RopeTheta);
        var (t, h, w) = HiStreamNtkRope.AxisThetas(model.RopeTheta, model.RopePairs, settings.EffectiveNtkScale, settings.NtkAxes);
        HighThetas = new RopeThetas(t, h, w);
    }

    public string Name { get; }
    public HiStreamSettings Settings { get; }

    /// <summary>RoPE bases of the low-res passes (the trained table).</summary>
    public RopeThetas LowThetas { get; }

    /// <summary>RoPE bases of the high-res passes (NTK-scaled on <see cref="HiStreamSettings.NtkAxes"/>).</summary>
    public RopeThetas HighThetas { get; }

    /// <summary>Whether any chunk after the first reads the low-res cache (otherwise it is never refreshed).</summary>
    private bool LowCacheRead => Settings.LaterChunks.LowSteps > 0;

    public SamplerPlan Plan(SamplingRequest request)
    {
        Settings.ValidateRequest(request);
        var passes = SamplerPassShapes.HiStream(Settings, request);
        var steps = Enumerable.Range(0, passes.Count).Select(c =>
        {
            var plan = c == 0 ? _firstPlan : _laterPlan;
            var refresh = passes[c].Where(p => p.Role == PassRole.CacheRefresh).Select(p => p.Stage == StageResolution.High ? "refresh-hi" : "refresh-lo");
            return $"chunk {c}: {string.Join(", ", plan.Select(s => s.ToString()).Concat(refresh))}";
        }).ToArray();
        return new SamplerPlan(passes.Count, passes.Select(p => p.Count).ToArray(), steps);
    }

    /// <summary>The denoising steps of chunk <paramref name="chunk"/>.</summary>
    public IReadOnlyList<PlannedStep> StepsOf(int chunk) => chunk == 0 ? _firstPlan : _laterPlan;

    public IEnumerable<GeneratedChunk> Generate(SamplingRequest request, SamplerResumeState? resume = null, CancellationToken cancellationToken = default)
    {
        Settings.ValidateRequest(request);
        int chunks = request.LatentFrames / Settings.FramesPerChunk;
        var finished = resume?.FinishedChunks ?? Array.Empty<torch.Tensor>();
        if (finished.Count > chunks)
            throw new ArgumentException($"The resume state holds {finished.Count} finished chunks but the request has only {chunks}.", nameof(resume));
        for (int c = 0; c < finished.Count; c++)
        {
            long[] expected = { _model.LatentChannels, Settings.FramesPerChunk, request.LatentHeight, request.LatentWidth };
            if (!finished[c].shape.SequenceEqual(expected))
                throw new ArgumentException(
                    $"Finished chunk {c} of the resume state is [{string.Join(", ", finished[c].shape)}]; this request's chunks are [{string.Join(", ", expected)}].", nameof(resume));
        }
        return Run(request, finished, chunks, cancellationToken);
    }

    private IEnumerable<GeneratedChunk> Run(SamplingRequest request, IReadOnlyList<torch.Tensor> finished, int chunks, CancellationToken ct)
    {
        using var run = new HiStreamRun(this, _model, request);
        for (int c = 0; c < finished.Count; c++)
        {
            ct.ThrowIfCancellationRequested();
            run.Replay(c, finished[c]);
        }

        for (int c = finished.Count; c < chunks; c++)
        {
            ct.ThrowIfCancellationRequested();
            yield return run.Next(c);
        }
    }

    /// <summary>State of one video: the two caches, the text state, the chunk awaiting its cache commit.</summary>
    private sealed class HiStreamRun : IDisposable
    {
        private readonly HiStreamSampler _s;
        private readonly ICausalChunkModel _m;
        private readonly SamplingRequest _request;
        private readonly IDisposable _text;
        private readonly IChunkKvCache _high;
        private readonly IChunkKvCache? _low; // null when no pass ever runs at low resolution
        private readonly int _hiH, _hiW, _loH, _loW;
        private readonly int[] _anchorPosition = new int[2];
        private torch.Tensor? _pending; // the last finished chunk (high res, model dtype), not yet committed
        private int _pendingChunk = -1;
        private long _peakCacheBytes;

        public HiStreamRun(HiStreamSampler sampler, ICausalChunkModel model, SamplingRequest request)
        {
            _s = sampler;
            _m = model;
            _request = request;
            var st = sampler.Settings;
            _hiH = request.LatentHeight;
            _hiW = request.LatentWidth;
            _loH = _hiH / st.LowResolutionFactor;
            _loW = _hiW / st.LowResolutionFactor;
            int anchor = st.SlidingWindow ? st.AnchorFrames : 0;
            _text = model.CreateTextState(request.TextContext);
            _high = model.CreateCache(Tpf(_hiH, _hiW), st.WindowFrames, anchor, request.LatentFrames);
            bool lowUsed = st.FirstChunk.LowSteps > 0 || st.LaterChunks.LowSteps > 0;
            _low = lowUsed ? model.CreateCache(Tpf(_loH, _loW), st.WindowFrames, anchor, request.LatentFrames) : null;
        }

        private long CacheBytes => _high.AllocatedBytes + (_low?.AllocatedBytes ?? 0);

        private static int Tpf(int h, int w) => (h / 2) * (w / 2);

        private HiStreamSettings Settings => _s.Settings;

        /// <summary>Rebuilds the caches as they were after chunk <paramref name="c"/> was committed in the original run.</summary>
        public void Replay(int c, torch.Tensor finishedLatents)
        {
            AlignAnchors(c);
            bool exactByRefresh = Settings.RefreshHighCache && (Settings.RefreshLowCache || !_s.LowCacheRead);
            if (!exactByRefresh)
            {
                // Without a refresh pass the caches keep the K/V of the chunk's last denoising steps: re-run them.
                using var _ = Denoise(c, report: false);
            }
            using var scope = torch.NewDisposeScope();
            var y = finishedLatents.to(_m.DType, _m.Device).unsqueeze(0);
            Commit(c, y);
        }

        public GeneratedChunk Next(int c)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int passes = 0;
            if (_pending is not null)
            {
                passes += Commit(_pendingChunk, _pending);
                _pending.Dispose();
                _pending = null;
            }
            Sync();
            var cacheUpdate = clock.Elapsed;

            clock.Restart();
            AlignAnchors(c);
            var y = Denoise(c);
            passes += _s.StepsOf(c).Count;
            Sync();
            var denoise = clock.Elapsed;

            if (c + 1 < _request.LatentFrames / Settings.FramesPerChunk)
            {
                _pending = y;
                _pendingChunk = c;
            }
            else if (Settings.RefreshAfterLastChunk)
            {
                var t = System.Diagnostics.Stopwatch.StartNew();
                passes += Commit(c, y);
                Sync();
                cacheUpdate += t.Elapsed;
            }

            var latents = y.squeeze(0).to(torch.ScalarType.Float32, torch.CPU, copy: true);
            if (_pending is null) y.Dispose();
            return new GeneratedChunk(c, c * Settings.FramesPerChunk, latents, new ChunkTiming(denoise, cacheUpdate, passes));
        }

        /// <summary>Runs chunk c's denoising steps; returns its final x0 [1, C, F, H, W] at high resolution.</summary>
        private torch.Tensor Denoise(int c, bool report = true)
        {
            var plan = _s.StepsOf(c);
            int start = c * Settings.FramesPerChunk;
            using var scope = torch.NewDisposeScope();
            var x = Noise(new NoiseKey(_request.Seed, c, 0, NoisePurpose.InitialLatent), plan[0].Resolution);
            torch.Tensor x0 = x;
            IReadOnlyList<int>? seenHigh = null, seenLow = null;
            for (int i = 0; i < plan.Count; i++)
            {
                var step = plan[i];
                var v = Forward(x, step.Timestep, start, step.Resolution);
                if (step.Resolution == StageResolution.High) seenHigh ??= _high.FramesHeld;
                else seenLow ??= _low!.FramesHeld;
                x0 = _m.ToX0(x, v, step.Timestep);
                if (i == plan.Count - 1) break;
                var next = plan[i + 1];
                if (next.Resolution != step.Resolution) x0 = _s._resampler.Up(x0);
                var noise = Noise(new NoiseKey(_request.Seed, c, i + 1, NoisePurpose.Renoise), next.Resolution);
                x = _m.AddNoise(x0, noise, next.Timestep);
            }
            if (report) Report(c, seenHigh!, seenLow ?? Array.Empty<int>());
            return x0.MoveToOuterDisposeScope();
        }

        /// <summary>Refresh passes that leave chunk c's clean keys and values in the caches; returns the passes run.</summary>
        private int Commit(int c, torch.Tensor y)
        {
            int start = c * Settings.FramesPerChunk, passes = 0;
            using var scope = torch.NewDisposeScope();
            if (Settings.RefreshHighCache)
            {
                Forward(y, Settings.RefreshTimestep, start, StageResolution.High);
                passes++;
            }
            if (Settings.RefreshLowCache && _s.LowCacheRead)
            {
                Forward(_s._resampler.Down(y), Settings.RefreshTimestep, start, StageResolution.Low);
                passes++;
            }
            _peakCacheBytes = Math.Max(_peakCacheBytes, CacheBytes);
            return passes;
        }

        private torch.Tensor Forward(torch.Tensor x, double t, int start, StageResolution res) => res == StageResolution.High
            ? _m.Forward(x, t, start, _high, _text, _s.HighThetas)
            : _m.Forward(x, t, start, _low!, _text, _s.LowThetas);

        private torch.Tensor Noise(NoiseKey key, StageResolution res)
        {
            using var cpu = _s._noise.Draw(key, Shape(res));
            return cpu.to(_m.DType, _m.Device, copy: true);
        }

        private long[] Shape(StageResolution res) => res == StageResolution.High
            ? new long[] { 1, _m.LatentChannels, Settings.FramesPerChunk, _hiH, _hiW }
            : new long[] { 1, _m.LatentChannels, Settings.FramesPerChunk, _loH, _loW };

        /// <summary>RollingAnchor: before chunk c, rotate the anchor keys to sit just before the oldest neighbour frame.</summary>
        private void AlignAnchors(int c)
        {
            if (Settings.TemporalPositions != TemporalPositionPolicy.RollingAnchor || Settings.WindowFrames is not { } window) return;
            int target = Math.Max(0, c * Settings.FramesPerChunk + Settings.FramesPerChunk - window);
            Align(0, _high, _s.HighThetas.Time);
            Align(1, _low, _s.LowThetas.Time);

            void Align(int slot, IChunkKvCache? cache, double timeTheta)
            {
                if (cache is null || target == _anchorPosition[slot]) return;
                cache.PlaceLeadingFrames(Settings.AnchorFrames, target, timeTheta);
                _anchorPosition[slot] = target;
            }
        }

        private void Report(int c, IReadOnlyList<int> seenHigh, IReadOnlyList<int> seenLow)
        {
            _peakCacheBytes = Math.Max(_peakCacheBytes, CacheBytes);
            _s._cacheObserver?.Invoke(new ChunkCacheReport(c, CacheBytes, _peakCacheBytes, seenHigh, seenLow));
        }

        private void Sync()
        {
            if (_m.Device.type == DeviceType.CUDA) torch.cuda.synchronize(_m.Device);
        }

        public void Dispose()
        {
            _pending?.Dispose();
            _high.Dispose();
            _low?.Dispose();
            _text.Dispose();
        }
    }
}

/// <summary>The caches of a chunk sampler after chunk <paramref name="Chunk"/>'s denoising steps.</summary>
/// <param name="FramesAttendedHigh">Latent frames the chunk's high-res steps attended to, its own frames last.</param>
/// <param name="FramesAttendedLow">The same for its low-res steps (empty when the chunk had none).</param>
public sealed record ChunkCacheReport(int Chunk, long KvCacheBytes, long PeakKvCacheBytes, IReadOnlyList<int> FramesAttendedHigh, IReadOnlyList<int> FramesAttendedLow);
