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

    /// <summary>A lease runs this long past its last renewal. The video renews it after opening and after every chunk,
    /// and every third of this while a device call runs, so a chunk slower than the lease keeps it as long as the
    /// watchdog (<see cref="DeviceCallTimeout"/>) allows; a hung call keeps it until the watchdog fails the video, and
    /// the lease then ends as failed. Shorter means faster failover when a silo hangs as a whole (a dead silo's leases
    /// end at its death declaration).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Leases are renewed by their videos (see <see cref="LeaseDuration"/>), not on this clock. This is how
    /// often each queue partition sweeps for expired leases and passed deadlines (at most a quarter of
    /// <see cref="LeaseDuration"/>); a value not shorter than <see cref="LeaseDuration"/> is refused at start.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Queue partitions (grains 0..N-1). Items of a job are striped over them. Fixed for the life of the
    /// queued work: changing it strands the items of jobs queued before.</summary>
    public int QueuePartitions { get; set; } = 8;

    /// <summary>Attempts per item (failed renders and expired leases count) before it fails for good.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before the second attempt; doubles for each further one, up to <see cref="RetryBackoffMax"/>.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a silo waits for one queue partition before it skips it for this round.</summary>
    public TimeSpan QueueCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Write-behind window of a job grain: reports within it are coalesced into one state write.</summary>
    public TimeSpan JobFlushWindow { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A job grain writes at once when this many outcomes wait for its write.</summary>
    public int JobFlushBatch { get; set; } = 256;

    /// <summary>A partition sends its job outcomes again when the job has not acknowledged them (durably) within this.</summary>
    public TimeSpan OutcomeRedelivery { get; set; } = TimeSpan.FromSeconds(2);

    public Queue.QueueRules QueueRules => new(LeaseDuration, Math.Max(1, MaxAttempts), RetryBackoff, RetryBackoffMax);

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

    /// <summary>The drain's grace: how long a draining silo (SIGTERM) waits for its videos to reach a chunk boundary
    /// and checkpoint. Past it, the chunks in flight are abandoned (their videos resume elsewhere from the last stored
    /// chunk) and the silo goes on shutting down. Keep it below <c>Farm:ShutdownTimeout</c> and the pod's
    /// terminationGracePeriodSeconds.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Breaker: after this many videos in a row fail on a silo because of its device (a device call threw
    /// or outlived the watchdog) it stops pulling and turns not-ready (0 = never). Failures of storage, reports or
    /// queue calls are not counted.</summary>
    public int FailureBreakerThreshold { get; set; } = 5;

    /// <summary>Breaker: how long an open breaker (failures in a row) waits before the silo tries work again. One more
    /// failure then opens it for another cooldown; a success closes it, so a device fault that passes (a driver
    /// reset, memory pressure) does not keep the silo out until its pod is restarted.</summary>
    public TimeSpan BreakerCooldown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Watchdog: a device call (open a video, render a chunk) that takes longer fails its video and marks
    /// the silo unhealthy (not ready, not live); until then the video keeps its lease. Set it well above the slowest
    /// chunk the farm renders.</summary>
    public TimeSpan DeviceCallTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Attempts of a grain-state write, job report or queue call that fails transiently (see
    /// <see cref="FarmRetry"/>), with exponential backoff from 250 ms up to <see cref="RetryMaxDelay"/>.</summary>
    public int RetryAttempts { get; set; } = 10;
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Off by default. For tests and drills only.</summary>
    public FaultInjectionOptions FaultInjection { get; set; } = new();

    /// <summary>A job keeps the error message of its first this many failed items; later failures are counted and
    /// listed without their message (each message is up to 2,000 characters and every job write rewrites them).</summary>
    public int FailedErrorsKept { get; set; } = 1000;

    /// <summary>A tenant's job list keeps its newest ids in the tenant's state (between this many and twice that);
    /// older ids move to blob pages of this many in the jobs container (<c>tenants/&lt;tenant&gt;/jobs-NNNNNN.json</c>).</summary>
    public int TenantJobPage { get; set; } = 1000;

    /// <summary>At most this many videos (the first by item index) on a job's contact sheet.</summary>
    public int ContactSheetMaxVideos { get; set; } = 400;

    /// <summary>A finished job whose finish actions (contact sheet, webhook) have not all run holds a reminder with this
    /// period: if its silo stops before they end, the reminder wakes the job on another silo, which runs them again.
    /// Orleans' minimum reminder period follows it down when it is shorter than a minute.</summary>
    public TimeSpan FinishActionsRecheck { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A stopping silo waits this long for finish actions in progress; the rest run again elsewhere (above).</summary>
    public TimeSpan FinishActionsStopWait { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Job webhooks: the signing secret and retries.</summary>
    public Results.WebhookOptions Webhooks { get; set; } = new();
}

/// <summary>Faults a silo can be told to simulate (configuration <c>Farm:FaultInjection</c>).</summary>
public sealed class FaultInjectionOptions
{
    /// <summary>Every chunk fails with an error, as on a broken device.</summary>
    public bool DeviceFails { get; set; }

    /// <summary>Every chunk's device call never returns, as on a wedged device.</summary>
    public bool DeviceHangs { get; set; }

    /// <summary>Every chunk takes at least this long, as on a slow device (a drain can abandon the chunk).</summary>
    public TimeSpan ChunkDelay { get; set; }

    public bool Enabled => DeviceFails || DeviceHangs || ChunkDelay > TimeSpan.Zero;
}
