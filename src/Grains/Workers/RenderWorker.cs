using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;
using HiStream.Grains.Rendering;
using HiStream.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace HiStream.Grains.Workers;

/// <summary>The silo's puller: loads the model, then asks the queue for work whenever a slot is free and hands each
/// lease to <see cref="VideoStarter"/>. Videos tell it when they end. It starts after the silo is active (so grains
/// are reachable) and stops first on shutdown through <see cref="SiloDrain"/>. Slot and memory accounting
/// (<see cref="RenderSlots"/>), leasing from the queue partitions (<see cref="PartitionedLeaser"/>), the queue-depth gauge
/// (<see cref="QueueDepthSampler"/>) and job definitions (<see cref="JobDefinitionCache"/>) live in their own parts.</summary>
public sealed class RenderWorker : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly ILocalSiloDetails _silo;
    private readonly IRenderEngine _engine;
    private readonly RenderSlots _slots;
    private readonly SlotPlanner _planner;
    private readonly VideoStarter _starter;
    private readonly QueueDepthSampler _depth;
    private readonly SiloDrain _drain;
    private readonly SiloHealth _health;
    private readonly PartitionedLeaser _queue;
    private readonly FarmOptions _options;
    private readonly FarmMetrics _metrics;
    private readonly ILogger<RenderWorker> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private int _disposed;

    public RenderWorker(ILocalSiloDetails silo, IRenderEngine engine, RenderSlots slots, SlotPlanner planner, VideoStarter starter,
        QueueDepthSampler depth, SiloDrain drain, SiloHealth health, PartitionedLeaser queue, IOptions<FarmOptions> options, FarmMetrics metrics, ILogger<RenderWorker> logger)
    {
        _health = health;
        _silo = silo;
        _engine = engine;
        _slots = slots;
        _planner = planner;
        _starter = starter;
        _depth = depth;
        _drain = drain;
        _queue = queue;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public string SiloId => _silo.SiloAddress.ToParsableString();
    public string SiloName => _silo.Name;

    /// <summary>Videos rendering now, and the most ever seen at once.</summary>
    public int Busy => _slots.Busy;
    public int MaxBusyObserved => _slots.MaxBusyObserved;
    public int? ConfiguredSlots => _slots.ConfiguredSlots;
    public long CapacityBytes => _slots.CapacityBytes;

    /// <summary>Completes when the model is loaded and the silo takes work (readiness).</summary>
    public Task Ready => _ready.Task;
    public bool IsReady => _ready.Task.IsCompletedSuccessfully && !_drain.IsDraining && _health.IsHealthy;
    public bool IsDraining => _drain.IsDraining;

    /// <summary>Why the silo takes no work although loaded (breaker or watchdog), else null.</summary>
    public string? Unhealthy => _health.Reason;

    /// <summary>False once a device call never returned: the process should be restarted (liveness).</summary>
    public bool IsLive => !_health.DeviceHung;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RenderWorker), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _metrics.SetSilo(SiloName);
        if (!_options.Render)
        {
            _logger.LogInformation("Silo {Silo} does not render (Farm:Render = false)", SiloName);
            _ready.TrySetResult();
            return Task.CompletedTask;
        }
        _loop = Task.Run(() => RunAsync(_stop.Token));
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _drain.Begin();
        _wake.Release();
        await _drain.WaitAsync(cancellationToken);
        await _stop.CancelAsync();
        if (_loop is not null) await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        if (Busy > 0) _logger.LogWarning("Drain timed out with {Count} videos still rendering; their leases expire and other silos resume them", Busy);
    }

    /// <summary>A started video registers how to ask it to checkpoint and stop, at its next chunk boundary or at once
    /// (used when the silo drains).</summary>
    public void Attach(string leaseId, Action suspend, Action abort)
    {
        _slots.Attach(leaseId, suspend, abort);
        if (_drain.IsDraining) suspend();
    }

    /// <summary>The video stopped: its slot is free, its lease ends at its partition (done; failed: retried after
    /// a backoff or failed for good; returned: checkpointed for a drain), and the breaker counts the outcome. A video
    /// that ended done (completed, skipped or cancelled) resets the breaker's count; a failure of the device
    /// (<see cref="RenderFailure.Device"/>) counts toward it. A failure around the device
    /// (<see cref="RenderFailure.Infrastructure"/>: storage, reports, queue calls, after their retries) neither counts
    /// nor resets: a storage brownout must not stop every silo of the farm, and must not hide a device that also fails
    /// the videos the brownout spares. Leases are held by the videos themselves (<see cref="LeaseKeeper"/>), not by
    /// the silo: a device call that hangs keeps its lease until the watchdog fails its video, and a silo that stops as
    /// a whole loses its leases by expiry or at its death declaration.</summary>
    public async Task VideoEndedAsync(WorkLease lease, LeaseOutcome outcome, string? error, RenderFailure? failure, VideoReport? final = null)
    {
        if (outcome == LeaseOutcome.Done) _health.VideoCompleted();
        else if (outcome == LeaseOutcome.Failed && failure == RenderFailure.Infrastructure)
            _logger.LogWarning("Job {Job} item {Item}: attempt {Attempt} failed outside the device; the breaker does not count it ({Error})", lease.JobId, lease.ItemIndex, lease.Attempt, error);
        else if (outcome == LeaseOutcome.Failed) _health.VideoFailed(error ?? "unknown error");
        _slots.Release(lease.LeaseId);
        await _queue.EndAsync(lease, outcome, error, final: final);
        _wake.Release();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        if (!await LoadAsync(stop)) return;
        while (!stop.IsCancellationRequested && !_drain.IsDraining)
        {
            try
            {
                if (await PullAsync(stop) > 0) continue;
                await _depth.SampleIfDueAsync();
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "Work loop on {Silo}: {Message}", SiloName, ex.Message);
            }
            try
            {
                await _wake.WaitAsync(_options.PollInterval, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Loads the model and sizes the slots; false when the silo cannot render.</summary>
    private async Task<bool> LoadAsync(CancellationToken stop)
    {
        try
        {
            _planner.Plan(await _engine.LoadAsync(stop), SiloName);
            _ready.TrySetResult();
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stop);
            return false;
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Silo {Silo} could not load the model; it takes no work", SiloName);
            _ready.TrySetException(ex);
            return false;
        }
    }

    /// <summary>Leases what fits into the free slots and starts it; returns how many leases came.</summary>
    private async Task<int> PullAsync(CancellationToken stop)
    {
        if (!_health.IsHealthy) return 0; // breaker open: leave the work to healthy silos
        var request = _slots.Budget(SiloId);
        if (request.MaxVideos <= 0) return 0;
        var leases = await _queue.LeaseAsync(request, stop);
        foreach (var lease in leases) await _starter.StartAsync(lease, stop);
        return leases.Count;
    }

    public void Dispose()
    {
        // Registered both as itself and as a lifecycle participant, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _stop.Dispose();
        _wake.Dispose();
    }
}
