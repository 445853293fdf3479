using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Caching;

/// <summary>
/// Self-attention KV cache of one video at one resolution: a preallocated k and v buffer per block
/// [B, S, heads, head_dim] holding keys after RoPE (so every key keeps its absolute frame position), with
/// Self-Forcing's index rules (model-spec §2.3):
/// <list type="bullet">
/// <item><see cref="GlobalEnd"/>: absolute token index one past the last token written;</item>
/// <item><see cref="LocalEnd"/>: one past the last valid slot of the buffer; queries attend to [0, LocalEnd);</item>
/// <item>a call that reaches past GlobalEnd and does not fit evicts the oldest non-sink tokens (the kept tokens move
/// down to just after the sink); a re-run of the same chunk (denoising steps, cache refresh) overwrites its slots.</item>
/// </list>
/// S is the window (<see cref="KvWindow.LocalAttentionFrames"/> · tokens per frame), never more than the video's
/// total frames; for global attention it is the video's total frames. The caller owns the cache (one per video and
/// resolution) and must use it with the model config, batch and latent grid it was created for.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly torch.Tensor[] _k;
    private readonly torch.Tensor[] _v;
    private readonly long[] _slotTokens;
    private WritePlan? _pending;
    private bool _disposed;

    /// <param name="tokensPerFrame">Tokens of one latent frame at this resolution: (H/patch_h)·(W/patch_w).</param>
    /// <param name="totalFrames">Latent frames of the whole video; sizes a global cache, and caps a window.</param>
    public KvCache(WanConfig config, int batch, int tokensPerFrame, KvWindow window, int totalFrames, torch.Device device, torch.ScalarType dtype)
    {
        config.Validate();
        Window = window.Validate();
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch must be positive.");
        if (tokensPerFrame <= 0) throw new ArgumentOutOfRangeException(nameof(tokensPerFrame), tokensPerFrame, "Tokens per frame must be positive.");
        if (totalFrames <= 0) throw new ArgumentOutOfRangeException(nameof(totalFrames), totalFrames, "Total latent frames must be positive.");
        Layers = config.NumLayers;
        Batch = batch;
        Heads = config.NumHeads;
        HeadDim = config.HeadDim;
        TokensPerFrame = tokensPerFrame;
        // A window larger than the video never evicts, so the smaller buffer behaves identically.
        CapacityFrames = window.IsGlobal ? totalFrames : Math.Min(window.LocalAttentionFrames, totalFrames);
        CapacityTokens = (long)CapacityFrames * tokensPerFrame;
        SinkTokens = window.IsGlobal ? 0 : (long)window.SinkFrames * tokensPerFrame;
        Device = device;
        DType = dtype;
        _k = new torch.Tensor[Layers];
        _v = new torch.Tensor[Layers];
        var shape = new[] { (long)batch, CapacityTokens, Heads, HeadDim };
        for (int i = 0; i < Layers; i++)
        {
            _k[i] = torch.zeros(shape, dtype, device).DetachFromDisposeScope();
            _v[i] = torch.zeros(shape, dtype, device).DetachFromDisposeScope();
        }
        _slotTokens = new long[CapacityTokens];
    }

    /// <summary>A cache for latents of <paramref name="latentHeight"/>×<paramref name="latentWidth"/> (tokens per frame
    /// from the config's patch size).</summary>
    public static KvCache ForLatentGrid(WanConfig config, int batch, int latentHeight, int latentWidth, KvWindow window, int totalFrames, torch.Device device, torch.ScalarType dtype) =>
        new(config, batch, config.TokensPerFrame(latentHeight, latentWidth), window, totalFrames, device, dtype);

    public int Layers { get; }
    public int Batch { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public int TokensPerFrame { get; }
    public KvWindow Window { get; }
    public int CapacityFrames { get; }
    public long CapacityTokens { get; }
    public long SinkTokens { get; }
    public torch.Device Device { get; }
    public torch.ScalarType DType { get; }

    /// <summary>Absolute token index one past the last token written (Self-Forcing's global_end_index).</summary>
    public long GlobalEnd { get; private set; }

    /// <summary>One past the last valid buffer slot (Self-Forcing's local_end_index).</summary>
    public long LocalEnd { get; private set; }

    /// <summary>Bytes held by the k and v buffers of all layers.</summary>
    public long Bytes => 2L * Layers * Batch * CapacityTokens * Heads * HeadDim * _k[0].element_size();

    /// <summary>Valid keys of a layer [B, LocalEnd, heads, head_dim] (a view into the buffer).</summary>
    public torch.Tensor Keys(int layer) => Buffer(_k, layer).narrow(1, 0, LocalEnd);

    /// <summary>Valid values of a layer [B, LocalEnd, heads, head_dim] (a view into the buffer).</summary>
    public torch.Tensor Values(int layer) => Buffer(_v, layer).narrow(1, 0, LocalEnd);

    /// <summary>Absolute latent frame of each frame held in [0, LocalEnd), in buffer order (e.g. 0,1,2, 9,10,11, …).</summary>
    public IReadOnlyList<long> FramesHeld()
    {
        ThrowIfDisposed();
        var frames = new List<long>();
        for (long slot = 0; slot < LocalEnd; slot += TokensPerFrame) frames.Add(_slotTokens[slot] / TokensPerFrame);
        return frames;
    }

    /// <summary>Forgets every token (indices back to 0); the buffers stay allocated and are zeroed.</summary>
    public void Reset()
    {
        ThrowIfDisposed();
        using (torch.no_grad())
        {
            foreach (var t in _k) t.zero_();
            foreach (var t in _v) t.zero_();
        }
        Array.Clear(_slotTokens);
        GlobalEnd = 0;
        LocalEnd = 0;
        _pending = null;
    }

    /// <summary>Starts a model call that brings <paramref name="newTokens"/> tokens from absolute token
    /// <paramref name="startToken"/> on: decides eviction and the slots to write. Every layer then calls
    /// <see cref="ISelfAttentionKv.Store"/> on the returned writer, and <see cref="Commit"/> ends the call.</summary>
    internal ISelfAttentionKv BeginWrite(long startToken, long newTokens)
    {
        ThrowIfDisposed();
        if (_pending != null)
            throw new InvalidOperationException("A previous model call on this KV cache did not finish (it threw part-way); Reset the cache or rebuild it by resuming from finished chunks.");
        if (startToken < 0 || newTokens <= 0) throw new ArgumentOutOfRangeException(nameof(startToken), $"Bad token range start {startToken}, count {newTokens}.");
        if (startToken % TokensPerFrame != 0 || newTokens % TokensPerFrame != 0)
            throw new ArgumentException($"Token range [{startToken}, {startToken + newTokens}) is not whole frames of {TokensPerFrame} tokens; the cache was created for another latent grid.");
        if (startToken > GlobalEnd)
            throw new ArgumentException($"Frames must be written in order: the cache ends at frame {GlobalEnd / TokensPerFrame}, the call starts at frame {startToken / TokensPerFrame}.");
        long end = startToken + newTokens;
        long evict = 0;
        if (!Window.IsGlobal && end > GlobalEnd && newTokens + LocalEnd > CapacityTokens)
        {
            evict = newTokens + LocalEnd - CapacityTokens;
            if (LocalEnd - evict - SinkTokens < 0)
                throw new InvalidOperationException($"A chunk of {newTokens / TokensPerFrame} frames does not fit a window of {Window.LocalAttentionFrames} frames with {Window.SinkFrames} sink frames.");
        }
        long newLocalEnd = LocalEnd + (end - GlobalEnd) - evict;
        long writeStart = newLocalEnd - newTokens;
        if (newLocalEnd > CapacityTokens)
            throw new InvalidOperationException($"KV cache overflow: it holds {CapacityFrames} latent frames and the call needs {newLocalEnd / TokensPerFrame}; create it with the video's total frame count.");
        if (writeStart < 0)
            throw new InvalidOperationException($"Cannot rewrite frames [{startToken / TokensPerFrame}, {end / TokensPerFrame}): they are no longer in the cache.");
        _pending = new WritePlan(this, startToken, newTokens, evict, writeStart, newLocalEnd, end);
        return _pending;
    }

    /// <summary>Ends the call started with <see cref="BeginWrite"/>: every layer must have stored its keys.</summary>
    internal void Commit(ISelfAttentionKv writer)
    {
        if (!ReferenceEquals(writer, _pending)) throw new InvalidOperationException("This writer does not belong to the cache's current call.");
        var plan = _pending;
        if (plan.LayersWritten != Layers) throw new InvalidOperationException($"Only {plan.LayersWritten} of {Layers} layers stored keys in this call.");
        if (plan.Evict > 0)
        {
            long keep = LocalEnd - plan.Evict - SinkTokens;
            Array.Copy(_slotTokens, SinkTokens + plan.Evict, _slotTokens, SinkTokens, keep);
        }
        for (long i = 0; i < plan.NewTokens; i++) _slotTokens[plan.WriteStart + i] = plan.StartToken + i;
        GlobalEnd = plan.End;
        LocalEnd = plan.NewLocalEnd;
        _pending = null;
    }

    private (torch.Tensor Keys, torch.Tensor Values) Store(WritePlan plan, int layer, torch.Tensor k, torch.Tensor v)
    {
        var kb = Buffer(_k, layer);
        var vb = Buffer(_v, layer);
        if (k.shape.Length != 4 || k.shape[0] != Batch || k.shape[1] != plan.NewTokens || k.shape[2] != Heads || k.shape[3] != HeadDim)
            throw new ArgumentException($"Keys for layer {layer} are [{string.Join(", ", k.shape)}], the cache expects [{Batch}, {plan.NewTokens}, {Heads}, {HeadDim}].");
        using (torch.no_grad())
        {
            if (plan.Evict > 0)
            {
                long keep = LocalEnd - plan.Evict - SinkTokens;
                if (keep > 0)
                {
                    // Source and destination overlap: copy from a clone, as the reference does.
                    foreach (var buf in new[] { kb, vb })
                    {
                        using var src = buf.narrow(1, SinkTokens + plan.Evict, keep).clone();
                        using var dst = buf.narrow(1, SinkTokens, keep);
                        dst.copy_(src);
                    }
                }
            }
            using (var dk = kb.narrow(1, plan.WriteStart, plan.NewTokens)) dk.copy_(k);
            using (var dv = vb.narrow(1, plan.WriteStart, plan.NewTokens)) dv.copy_(v);
        }
        plan.LayersWritten++;
        return (kb.narrow(1, 0, plan.NewLocalEnd), vb.narrow(1, 0, plan.NewLocalEnd));
    }

    private torch.Tensor Buffer(torch.Tensor[] buffers, int layer)
    {
        ThrowIfDisposed();
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The cache has {Layers} layers.");
        return buffers[layer];
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _k) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }

    private sealed class WritePlan(KvCache cache, long startToken, long newTokens, long evict, long writeStart, long newLocalEnd, long end) : ISelfAttentionKv
    {
        public long StartToken { get; } = startToken;
        public long NewTokens { get; } = newTokens;
        public long Evict { get; } = evict;
        public long WriteStart { get; } = writeStart;
        public long NewLocalEnd { get; } = newLocalEnd;
        public long End { get; } = end;
        public int LayersWritten { get; set; }

        public (torch.Tensor Keys, torch.Tensor Values) Store(int layer, torch.Tensor k, torch.Tensor v)
        {
            if (layer != LayersWritten) throw new InvalidOperationException($"Layers must store in order: expected layer {LayersWritten}, got {layer}.");
            return cache.Store(this, layer, k, v);
        }
    }
}
