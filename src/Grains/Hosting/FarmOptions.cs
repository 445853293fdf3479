namespace HiStream.Grains.Hosting;

/// <summary>Farm settings (configuration section <c>Farm</c>).</summary>
public sealed class FarmOptions
{
    public const string Section = "Farm";

    /// <summary>Videos this silo renders at once. When unset, slots come from device memory: see
    /// <see cref="DeviceMemoryGiB"/>.</summary>
    public int? Slots { get; set; }

    /// <summary>Device memory to plan with. When unset: the CUDA device's total memory if known, else 80 % of the
    /// memory the process may use (CPU).</summary>
    public double? DeviceMemoryGiB { get; set; }

    /// <summary>Device memory kept free for the allocator, fragmentation and the decoder's peaks.</summary>
    public double ReserveFraction { get; set; } = 0.10;

    /// <summary>False on a silo that only hosts the queue and jobs (no renders are pulled there).</summary>
    public bool Render { get; set; } = true;

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a silo with a free slot asks the queue for work.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Manifest pages cached per silo.</summary>
    public int ManifestPageCache { get; set; } = 64;

    /// <summary>Container for job manifests.</summary>
    public string JobsContainer { get; set; } = "histream-jobs";

    /// <summary>Default output container.</summary>
    public string ResultsContainer { get; set; } = "histream-results";

    /// <summary>Frames per second of the written MP4.</summary>
    public int Fps { get; set; } = 16;

    /// <summary>ffmpeg executable (on PATH by default).</summary>
    public string Ffmpeg { get; set; } = "ffmpeg";

    /// <summary>How long a draining silo waits for its videos to reach a chunk boundary and checkpoint.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>At most this many videos (the first by item index) on a job's contact sheet.</summary>
    public int ContactSheetMaxVideos { get; set; } = 400;

    /// <summary>Job webhooks: the signing secret and retries.</summary>
    public Results.WebhookOptions Webhooks { get; set; } = new();
}
