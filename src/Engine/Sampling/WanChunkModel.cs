using HiStream.Engine.Caching;
using HiStream.Engine.Models;
using HiStream.Engine.Scheduling;
using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// The samplers' view of one <see cref="WanDiT"/>: causal chunk passes against <see cref="KvCache"/>s (any latent
/// size, per-axis RoPE bases) and the bidirectional full-video forward, both on the same weights, with Self-Forcing's
/// scheduler (shift 5) for the x0 conversion and re-noising.
/// </summary>
public sealed class WanChunkModel : ICausalChunkModel, IBidirectionalVideoModel, IDisposable
{
    private readonly FlowMatchScheduler _scheduler;
    private readonly Dictionary<RopeThetas, Rope3D> _ropes = new();

    public WanChunkModel(WanDiT model, double timestepShift = 5.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _scheduler = new FlowMatchScheduler(timestepShift);
        RopePairs = Rope3D.SplitPairs(model.Config.HeadDim);
    }

    public WanDiT Model { get; }
    public torch.Device Device => Model.Device;
    public torch.ScalarType DType => Model.DType;
    public int LatentChannels => Model.Config.OutDim;
    public int TextDim => Model.Config.TextDim;
    public (int Time, int Height, int Width) RopePairs { get; }
    public double RopeTheta => Model.Rope.Settings.Frame.Theta;

    /// <summary>The scheduler's warped denoising list for the given steps (default [1000, 750, 500, 250] → [1000, 937.5, 833.33, 625]).</summary>
    public IReadOnlyList<double> WarpedSchedule(IReadOnlyList<int>? steps = null) =>
        _scheduler.WarpSteps(steps ?? new[] { 1000, 750, 500, 250 }).Select(t => (double)t).ToArray();

    public torch.Tensor ToX0(torch.Tensor x, torch.Tensor velocity, double timestep) => _scheduler.FlowToX0(x, velocity, (float)timestep);

    public torch.Tensor AddNoise(torch.Tensor x0, torch.Tensor noise, double timestep) => _scheduler.AddNoise(x0, noise, (float)timestep);

    public IDisposable CreateTextState(torch.Tensor textContext) => new TextState(Model, textContext);

    public IChunkKvCache CreateCache(int tokensPerFrame, int? windowFrames, int anchorFrames, int totalFrames)
    {
        var window = windowFrames is { } w ? new KvWindow(w, anchorFrames) : KvWindow.Global;
        return new ChunkKvCache(new KvCache(Model.Config, 1, tokensPerFrame, window, totalFrames, Device, DType), this);
    }

    public torch.Tensor Forward(torch.Tensor x, double timestep, int startFrame, IChunkKvCache cache, IDisposable textState, RopeThetas thetas)
    {
        var kv = ((ChunkKvCache)cache).Cache;
        var text = (TextState)textState;
        using var t = torch.full(new long[] { x.shape[0], x.shape[2] }, (float)timestep, torch.ScalarType.Float32, Device);
        return Model.ForwardCausal(x, t, text.Context, kv, text.Cross, startFrame, RopeFor(thetas));
    }

    public torch.Tensor Forward(torch.Tensor x, double timestep, IReadOnlyList<torch.Tensor> contexts)
    {
        if (contexts.Count != x.shape[0])
            throw new ArgumentException($"{contexts.Count} text contexts for a batch of {x.shape[0]}.", nameof(contexts));
        using var scope = torch.NewDisposeScope();
        var padded = torch.stack(contexts.Select(c => Pad(c)).ToArray(), 0);
        var t = torch.full(new long[] { x.shape[0] }, (float)timestep, torch.ScalarType.Float32, Device);
        return Model.Forward(x, t, padded).MoveToOuterDisposeScope();

        torch.Tensor Pad(torch.Tensor c)
        {
            if (c.dim() != 2 || c.shape[1] != TextDim || c.shape[0] > Model.Config.TextLen)
                throw new ArgumentException($"Text context must be [L <= {Model.Config.TextLen}, {TextDim}], got [{string.Join(", ", c.shape)}].", nameof(contexts));
            var rows = c.to(DType, Device);
            long pad = Model.Config.TextLen - c.shape[0];
            return pad == 0 ? rows : torch.cat(new[] { rows, torch.zeros(new[] { pad, (long)TextDim }, DType, Device) }, 0);
        }
    }

    /// <summary>The engine cache behind one of this model's chunk caches (tests and diagnostics).</summary>
    internal static KvCache KvCacheOf(IChunkKvCache cache) => ((ChunkKvCache)cache).Cache;

    /// <summary>The RoPE tables of a set of per-axis bases (cached: a sampler uses two, low and high).</summary>
    internal Rope3D RopeFor(RopeThetas thetas)
    {
        lock (_ropes)
        {
            if (!_ropes.TryGetValue(thetas, out var rope))
                _ropes[thetas] = rope = new Rope3D(Model.Config.HeadDim,
                    new RopeSettings(new RopeAxis(thetas.Time), new RopeAxis(thetas.Height), new RopeAxis(thetas.Width)));
            return rope;
        }
    }

    public void Dispose() => _scheduler.Dispose();

    private sealed class TextState : IDisposable
    {
        public TextState(WanDiT model, torch.Tensor context)
        {
            Context = context.unsqueeze(0).to(model.DType, model.Device, copy: true).DetachFromDisposeScope();
            Cross = new CrossAttentionCache(model.Config, 1, model.Device, model.DType);
        }

        public torch.Tensor Context { get; }
        public CrossAttentionCache Cross { get; }

        public void Dispose()
        {
            Context.Dispose();
            Cross.Dispose();
        }
    }

    /// <summary><see cref="KvCache"/> plus the anchor re-positioning of <see cref="TemporalPositionPolicy.RollingAnchor"/>.</summary>
    private sealed class ChunkKvCache(KvCache cache, WanChunkModel owner) : IChunkKvCache
    {
        private torch.Tensor[]? _anchorAsWritten;

        public KvCache Cache { get; } = cache;
        public long AllocatedBytes => Cache.Bytes;
        public IReadOnlyList<int> FramesHeld => Cache.FramesHeld().Select(f => (int)f).ToArray();

        public void PlaceLeadingFrames(int frames, int startPosition, double timeTheta)
        {
            long tokens = Math.Min((long)frames * Cache.TokensPerFrame, Cache.LocalEnd);
            if (tokens == 0) return;
            // Rotate from the keys as written (positions 0..frames-1), so repeated moves never accumulate rounding.
            _anchorAsWritten ??= Enumerable.Range(0, Cache.Layers).Select(l => Cache.Keys(l).narrow(1, 0, tokens).clone().DetachFromDisposeScope()).ToArray();
            var rope = owner.RopeFor(new RopeThetas(timeTheta, owner.RopeTheta, owner.RopeTheta));
            using var scope = torch.NewDisposeScope();
            // Rotation by startPosition frames on the frame pairs; row/column position 0 leaves the spatial pairs alone.
            using var shift = rope.Angles(startPosition, 1, 1, 1, Cache.Device, torch.ScalarType.Float32);
            using var noGrad = torch.no_grad();
            for (int l = 0; l < Cache.Layers; l++)
            {
                var original = _anchorAsWritten[l];
                var flat = original.reshape(-1, 1, Cache.Heads, Cache.HeadDim);
                var moved = shift.Apply(flat).reshape(original.shape);
                Cache.Keys(l).narrow(1, 0, tokens).copy_(moved);
            }
        }

        public void Dispose()
        {
            if (_anchorAsWritten != null) foreach (var t in _anchorAsWritten) t.Dispose();
            Cache.Dispose();
        }
    }
}
