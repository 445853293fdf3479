using System.Text.Json;

namespace HiStream.Engine.Caching;

/// <summary>
/// Self-attention window of a causal video model, in latent frames (Self-Forcing's <c>local_attn_size</c> and
/// <c>sink_size</c>). <see cref="LocalAttentionFrames"/> counts every frame a chunk may see, its own and the sink
/// included, and is the cache capacity; −1 means global attention (full causal history). The first
/// <see cref="SinkFrames"/> frames ever written are never evicted (HiStream's anchor).
/// </summary>
public sealed record KvWindow(int LocalAttentionFrames = -1, int SinkFrames = 0)
{
    public static KvWindow Global { get; } = new();

    public bool IsGlobal => LocalAttentionFrames == -1;

    public KvWindow Validate()
    {
        if (LocalAttentionFrames != -1 && LocalAttentionFrames <= 0)
            throw new ArgumentException($"local_attn_size must be -1 (global) or a positive number of latent frames, got {LocalAttentionFrames}.");
        if (SinkFrames < 0) throw new ArgumentException($"sink_size must be >= 0 latent frames, got {SinkFrames}.");
        if (!IsGlobal && SinkFrames >= LocalAttentionFrames)
            throw new ArgumentException($"sink_size ({SinkFrames}) must be smaller than local_attn_size ({LocalAttentionFrames}) so the window has room for new frames.");
        return this;
    }

    /// <summary>Reads <c>local_attn_size</c> and <c>sink_size</c> (defaults −1 and 0) from a reference config object.</summary>
    public static KvWindow FromJson(JsonElement config)
    {
        int local = config.TryGetProperty("local_attn_size", out var l) ? l.GetInt32() : -1;
        int sink = config.TryGetProperty("sink_size", out var s) ? s.GetInt32() : 0;
        return new KvWindow(local, sink).Validate();
    }

    public override string ToString() => IsGlobal ? "global" : $"window {LocalAttentionFrames} frames (sink {SinkFrames})";
}
