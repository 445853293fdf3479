namespace HiStream.Engine.Sampling;

/// <summary>How the x0 latent is enlarged between the low- and the high-resolution stage of a chunk.</summary>
public enum LatentUpsampleMode
{
    /// <summary>Bilinear, align_corners = false (default).</summary>
    Bilinear,
    Nearest,
    /// <summary>Bicubic, align_corners = false.</summary>
    Bicubic,
}

/// <summary>How the final high-resolution latent is reduced to refresh the low-resolution cache.</summary>
public enum LatentDownsampleMode
{
    /// <summary>factor x factor average pooling (default; 2x2 for the default factor).</summary>
    AveragePool,
    /// <summary>Bilinear with antialiasing, align_corners = false.</summary>
    BilinearAntialias,
    /// <summary>Keeps the top-left sample of each factor x factor block.</summary>
    Nearest,
}

/// <summary>RoPE axes an NTK scale applies to.</summary>
[Flags]
public enum RopeAxes
{
    None = 0,
    Time = 1,
    Height = 2,
    Width = 4,
    Spatial = Height | Width,
}

/// <summary>
/// Temporal RoPE positions of the window. Keys are cached after RoPE, so positions are fixed when a chunk is written.
/// </summary>
public enum TemporalPositionPolicy
{
    /// <summary>
    /// Every latent frame keeps its absolute index (the Self-Forcing reference). Angles are computed from the position
    /// (fp64 p·ω), not read from a 1024-entry table, so nothing changes at frame 1024; the anchor's distance to the
    /// current chunk grows with the video length.
    /// </summary>
    Absolute,

    /// <summary>
    /// Like <see cref="Absolute"/> for the neighbour frames and the current chunk, but before each chunk the cached
    /// anchor keys are rotated so that the anchor sits directly before the oldest neighbour frame in the window
    /// (StreamingLLM-style). Attention depends only on position differences, so every chunk then sees the same
    /// temporal geometry, bounded by the window (at most <see cref="HiStreamSettings.WindowFrames"/> frames), however
    /// long the video is.
    /// </summary>
    RollingAnchor,
}

/// <summary>
/// Every choice HiStream leaves open (model-spec §6.3-6.5), as a named option with its default. The defaults are the
/// spec's proposal: low stage at half of each side, bilinear up / 2x2 average-pool down, NTK scale = high/low on the
/// spatial axes, anchor = first latent frame, 2 neighbour frames (the paper's window of 2M = 6), 2 low + 2 high steps per chunk (HiStream) or
/// 1 + 1 after the first chunk (HiStream+), and t = 0 cache-refresh passes for both caches.
/// </summary>
public sealed record HiStreamSettings
{
    /// <summary>HiStream: DRC + AGSW, every chunk 2 low + 2 high steps.</summary>
    public static HiStreamSettings HiStream { get; } = new();

    /// <summary>HiStream+: HiStream + asymmetric denoising (first chunk 2 + 2, later chunks 1 + 1).</summary>
    public static HiStreamSettings HiStreamPlus { get; } = new() { LaterChunks = ChunkStepPlan.Counts(1, 1) };

    /// <summary>
    /// The Self-Forcing reference loop expressed in these settings: one resolution, full causal history, all four
    /// steps at the target size, one t = 0 refresh of the (high-res) cache per chunk.
    /// </summary>
    public static HiStreamSettings SelfForcingReference { get; } = new()
    {
        LowResolutionFactor = 1,
        SlidingWindow = false,
        FirstChunk = ChunkStepPlan.Counts(0, 4),
        LaterChunks = ChunkStepPlan.Counts(0, 4),
        RefreshLowCache = false,
    };

    /// <summary>Latent frames denoised together (Self-Forcing's num_frame_per_block).</summary>
    public int FramesPerChunk { get; init; } = 3;

    /// <summary>Each side of the low-res latent is the high-res side divided by this (1 = both stages at the target size).</summary>
    public int LowResolutionFactor { get; init; } = 2;

    public LatentUpsampleMode Upsample { get; init; } = LatentUpsampleMode.Bilinear;

    public LatentDownsampleMode Downsample { get; init; } = LatentDownsampleMode.AveragePool;

    /// <summary>NTK scale s of the high-res passes' RoPE (θ' = θ·s^(d/(d−2))); null = high/low ratio (= <see cref="LowResolutionFactor"/>).</summary>
    public double? NtkScale { get; init; }

    /// <summary>Axes the NTK scale applies to (default height and width; time stays unscaled).</summary>
    public RopeAxes NtkAxes { get; init; } = RopeAxes.Spatial;

    /// <summary>Leading latent frames that the window never evicts (the anchor / attention sink).</summary>
    public int AnchorFrames { get; init; } = 1;

    /// <summary>
    /// Most recent earlier latent frames kept besides the anchor. Default <see cref="PaperNeighbourFrames"/>: the
    /// paper's text defines the window as the current chunk (M frames), the M−1 most recent history frames and the first
    /// frame, 2M = 6 latent frames for M = 3.
    /// </summary>
    public int NeighbourFrames { get; init; } = PaperNeighbourFrames;

    /// <summary>The paper's neighbour count for the default chunk of 3 latent frames: M − 1 = 2 (window 2M = 6).</summary>
    public const int PaperNeighbourFrames = 2;

    /// <summary>
    /// The earlier default, 3 neighbours (window 7 with anchor and chunk). It came from fitting the paper's reported
    /// speed-ups with our FLOP model (docs/histream.md), not from the paper's text; kept for comparisons and for runs
    /// that want one more frame of temporal context at about 1/7 more attention cost per chunk.
    /// </summary>
    public const int FlopFittedNeighbourFrames = 3;

    /// <summary>HiStream with the FLOP-fitted window of 7 latent frames (<see cref="FlopFittedNeighbourFrames"/>).</summary>
    public static HiStreamSettings HiStreamFlopFittedWindow { get; } = new() { NeighbourFrames = FlopFittedNeighbourFrames };

    /// <summary>
    /// Total window in latent frames, anchor and current chunk included (Self-Forcing's local_attn_size); null =
    /// <see cref="AnchorFrames"/> + <see cref="NeighbourFrames"/> + <see cref="FramesPerChunk"/>. Setting it overrides the neighbour count.
    /// </summary>
    public int? Window { get; init; }

    /// <summary>false = no sliding window: both caches keep the whole video (DRC only, for ablations).</summary>
    public bool SlidingWindow { get; init; } = true;

    /// <summary>Steps of chunk 0.</summary>
    public ChunkStepPlan FirstChunk { get; init; } = ChunkStepPlan.Counts(2, 2);

    /// <summary>Steps of every later chunk (fewer than <see cref="FirstChunk"/> = asymmetric denoising).</summary>
    public ChunkStepPlan LaterChunks { get; init; } = ChunkStepPlan.Counts(2, 2);

    /// <summary>Denoising timesteps the plans index into; null = the scheduler's warped 4-step list [1000, 937.5, 833.33, 625].</summary>
    public IReadOnlyList<double>? DenoisingTimesteps { get; init; }

    /// <summary>Timestep of the cache-refresh passes (Self-Forcing's context_noise).</summary>
    public double RefreshTimestep { get; init; }

    /// <summary>Rewrite the high-res cache with a pass on the final chunk; false keeps the K/V of the last high-res step.</summary>
    public bool RefreshHighCache { get; init; } = true;

    /// <summary>Rewrite the low-res cache with a pass on the downsampled final chunk; false keeps the K/V of the last low-res step.</summary>
    public bool RefreshLowCache { get; init; } = true;

    /// <summary>Run the refresh passes after the last chunk too (the Self-Forcing CLI does; its output is never read).</summary>
    public bool RefreshAfterLastChunk { get; init; }

    public TemporalPositionPolicy TemporalPositions { get; init; } = TemporalPositionPolicy.Absolute;

    /// <summary>The effective window in latent frames (the per-cache capacity), or null with no sliding window.</summary>
    public int? WindowFrames => SlidingWindow ? Window ?? AnchorFrames + NeighbourFrames + FramesPerChunk : null;

    /// <summary>The NTK scale the high-res passes use.</summary>
    public double EffectiveNtkScale => NtkScale ?? LowResolutionFactor;

    /// <summary>More latent frames than this in a window, a chunk, the anchor or the neighbours is a mistake, not a
    /// setting (1024 latent frames are about 4 minutes of video; the defaults use 6). It also keeps every sum of them
    /// far from int overflow.</summary>
    public const int MaxWindowFrames = 1024;

    /// <summary>A larger low-resolution factor leaves no low-resolution latent at any size the farm renders.</summary>
    public const int MaxLowResolutionFactor = 16;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (FramesPerChunk < 1 || FramesPerChunk > MaxWindowFrames)
            throw Bad(nameof(FramesPerChunk), $"must be 1..{MaxWindowFrames} latent frames (got {FramesPerChunk}).");
        if (LowResolutionFactor < 1 || LowResolutionFactor > MaxLowResolutionFactor)
            throw Bad(nameof(LowResolutionFactor), $"must be 1..{MaxLowResolutionFactor} (got {LowResolutionFactor}).");
        if (NtkScale is { } s && (!(s > 0) || double.IsInfinity(s)))
            throw Bad(nameof(NtkScale), $"must be a positive finite number or null (got {s}).");
        if (AnchorFrames < 0 || AnchorFrames > MaxWindowFrames)
            throw Bad(nameof(AnchorFrames), $"must be 0..{MaxWindowFrames} latent frames (got {AnchorFrames}).");
        if (NeighbourFrames < 0 || NeighbourFrames > MaxWindowFrames)
            throw Bad(nameof(NeighbourFrames), $"must be 0..{MaxWindowFrames} latent frames (got {NeighbourFrames}).");
        if (Window is { } big && big > MaxWindowFrames)
            throw Bad(nameof(Window), $"must be at most {MaxWindowFrames} latent frames (got {big}); turn SlidingWindow off to keep the whole video.");
        if (SlidingWindow && Window is null && AnchorFrames + NeighbourFrames + FramesPerChunk > MaxWindowFrames)
            throw Bad(nameof(NeighbourFrames), $"makes a window of AnchorFrames + NeighbourFrames + FramesPerChunk = {AnchorFrames} + {NeighbourFrames} + {FramesPerChunk} latent frames, more than {MaxWindowFrames}.");
        if (SlidingWindow && Window is { } w && w < AnchorFrames + FramesPerChunk)
            throw Bad(nameof(Window), $"{w} frames is smaller than AnchorFrames + FramesPerChunk ({AnchorFrames} + {FramesPerChunk}): the window must hold the anchor and a whole chunk.");
        if (TemporalPositions == TemporalPositionPolicy.RollingAnchor && SlidingWindow && AnchorFrames == 0)
            throw Bad(nameof(TemporalPositions), "RollingAnchor needs at least one anchor frame (AnchorFrames is 0).");
        if (!double.IsFinite(RefreshTimestep) || RefreshTimestep < 0)
            throw Bad(nameof(RefreshTimestep), $"must be a finite timestep >= 0 (got {RefreshTimestep}).");
        if (DenoisingTimesteps is { } ts)
        {
            if (ts.Count == 0) throw Bad(nameof(DenoisingTimesteps), "is empty.");
            for (int i = 0; i < ts.Count; i++)
            {
                if (!double.IsFinite(ts[i]) || ts[i] <= 0 || ts[i] > 1000)
                    throw Bad(nameof(DenoisingTimesteps), $"entry {i} ({ts[i]}) must be in (0, 1000].");
                if (i > 0 && ts[i] >= ts[i - 1])
                    throw Bad(nameof(DenoisingTimesteps), $"must be strictly decreasing (entry {i} = {ts[i]} after {ts[i - 1]}).");
            }
        }

        var schedule = DenoisingTimesteps ?? DefaultSchedule;
        FirstChunk.Resolve(schedule, $"HiStreamSettings.{nameof(FirstChunk)}");
        LaterChunks.Resolve(schedule, $"HiStreamSettings.{nameof(LaterChunks)}");
        // Without the low-res refresh a chunk reaches the low-res cache only through its own low-res steps.
        if (!RefreshLowCache && LaterChunks.LowSteps > 0 && FirstChunk.LowSteps == 0)
            throw Bad(nameof(RefreshLowCache), "is off, but FirstChunk has no low-res step, so chunk 0 would be missing from the low-res cache that later low-res steps read.");
    }

    /// <summary>Checks the request against these settings, naming the offending request field.</summary>
    public void ValidateRequest(SamplingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateShape(request.LatentFrames, request.LatentHeight, request.LatentWidth);
    }

    /// <summary>The shape rules of <see cref="ValidateRequest"/> without a request (a gateway checks a job with them).</summary>
    public void ValidateShape(int latentFrames, int latentHeight, int latentWidth)
    {
        if (latentFrames < 1)
            throw new ArgumentException($"SamplingRequest.LatentFrames must be at least 1 (got {latentFrames}).", "request");
        if (latentFrames % FramesPerChunk != 0)
            throw new ArgumentException(
                $"SamplingRequest.LatentFrames ({latentFrames}) must be a multiple of HiStreamSettings.FramesPerChunk ({FramesPerChunk}).", "request");
        CheckSide(latentHeight, "LatentHeight");
        CheckSide(latentWidth, "LatentWidth");
    }

    private void CheckSide(int latent, string name)
    {
        if (latent < 2 || latent % 2 != 0)
            throw new ArgumentException(
                $"SamplingRequest.{name} {latent} ({latent * 8} px): the resolution must be a positive multiple of 16 pixels (an even latent size, whole 2x2 patches).", "request");
        if (latent % (2 * LowResolutionFactor) != 0)
            throw new ArgumentException(
                $"SamplingRequest.{name} {latent} ({latent * 8} px) with HiStreamSettings.LowResolutionFactor {LowResolutionFactor}: the low-res stage would be {latent / (double)LowResolutionFactor} latent px; the side must be a multiple of {16 * LowResolutionFactor} pixels.",
                "request");
    }

    /// <summary>The warped 4-step list of the Self-Forcing DMD checkpoint (shift 5; model-spec §3).</summary>
    public static IReadOnlyList<double> DefaultSchedule { get; } = new[] { 1000.0, 937.5, 833.3333129882812, 625.0 };

    /// <summary>A stable one-line description of every option; two runs with equal descriptions generate equal videos.</summary>
    public string Describe() => string.Join("; ",
        $"chunk={FramesPerChunk}", $"lowFactor={LowResolutionFactor}", $"up={Upsample}", $"down={Downsample}",
        $"ntk={EffectiveNtkScale:R}@{NtkAxes}", $"anchor={AnchorFrames}", $"window={(WindowFrames?.ToString() ?? "full")}",
        $"first={FirstChunk}", $"later={LaterChunks}",
        $"schedule=[{string.Join(",", (DenoisingTimesteps ?? DefaultSchedule).Select(t => t.ToString("R")))}]",
        $"refreshT={RefreshTimestep:R}", $"refreshHigh={RefreshHighCache}", $"refreshLow={RefreshLowCache}",
        $"refreshLast={RefreshAfterLastChunk}", $"positions={TemporalPositions}");

    private static ArgumentException Bad(string setting, string what) => new($"HiStreamSettings.{setting} {what}", setting);
}
