namespace HiStream.Engine.Pipeline;

/// <summary>Where the model comes from and where it runs (configuration section <c>Engine</c>). With no
/// <see cref="DitWeights"/>, a small seeded-random model (the tiny configs of the reference fixtures) renders, and
/// every output says so.</summary>
public sealed record PipelineOptions
{
    public const string Section = "Engine";

    public string Device { get; init; } = "cpu";
    public string DType { get; init; } = "float32";

    /// <summary>Self-Forcing / Wan DiT checkpoint (.safetensors or .pt/.pth; Self-Forcing's <c>generator_ema</c> is picked).</summary>
    public string? DitWeights { get; init; }

    /// <summary>Wan <c>config.json</c> for the DiT; Wan2.1-T2V-1.3B when weights are given without it.</summary>
    public string? DitConfig { get; init; }

    /// <summary>Wan2.1 VAE checkpoint (<c>Wan2.1_VAE.pth</c>); with DiT weights but no VAE, only latents are written.</summary>
    public string? VaeWeights { get; init; }

    /// <summary>umT5-XXL encoder checkpoint; required with DiT weights.</summary>
    public string? TextEncoderWeights { get; init; }

    /// <summary>SentencePiece model of umT5 (<c>spiece.model</c>); required with DiT weights.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>Seed of the random tiny model (used only without weights).</summary>
    public long TinySeed { get; init; } = 20251224;

    /// <summary>Decode frames (MP4 + preview) when a decoder is available. Off: latents only.</summary>
    public bool Decode { get; init; } = true;

    /// <summary>Intra-op threads for CPU tensors, pinned on the thread that creates the pipeline (which must run it); 0 = that
    /// thread takes libtorch's process default (see <see cref="IntraOpThreads"/>).</summary>
    public int Threads { get; init; }

    public bool RandomWeights => string.IsNullOrWhiteSpace(DitWeights);
}
