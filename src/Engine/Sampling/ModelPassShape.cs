namespace HiStream.Engine.Sampling;

/// <summary>What a model pass is for.</summary>
public enum PassRole
{
    Denoise,
    /// <summary>A t = 0 pass on a finished chunk that rewrites its cached keys and values.</summary>
    CacheRefresh,
}

/// <summary>The shape of one DiT forward pass, enough for the analytic FLOP count.</summary>
/// <param name="QueryTokens">Tokens run through the network (the chunk, or the whole video for the bidirectional model).</param>
/// <param name="KeyTokens">Tokens its self-attention attends to (cached window + the chunk itself).</param>
/// <param name="Batch">Sequences in the pass (2 for a conditional + unconditional CFG pass).</param>
public sealed record ModelPassShape(PassRole Role, StageResolution Stage, long QueryTokens, long KeyTokens, int Batch = 1);
