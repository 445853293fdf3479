using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Rendering;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Queue;
using HiStream.Grains.Rendering;
using HiStream.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace HiStream.Grains.Workers;

/// <summary>The silo's puller: holds the silo's render slots, asks the queue for the next items whenever one is free,
/// and starts each leased video on this silo (passing itself as the placement hint). Videos tell it when they end.
/// It starts after the silo is active (so grains are reachable) and stops first on shutdown: it stops taking work,
/// asks running videos to checkpoint at their next chunk boundary, and returns their leases.</summary>
public sealed class RenderWorker : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly ILocalSiloDetails _silo;
    private readonly IRenderEngine _engine;
    private readonly IRenderCostModel _cost;
    private readonly ManifestReader _manifests;
    private readonly FarmOptions _options;
    private readonly FarmMetrics _metrics;
    private readonly ILogger<RenderWorker> _logger;
    private readonly PartitionedLeaser _queue;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ActiveVideo> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _reservedBytes;
    private long _capacityBytes;
    private int _maxBusy;
    private volatile bool _draining;
    private int _disposed;

    public RenderWorker(IGrainFactory grains, ILocalSiloDetails silo, IRenderEngine engine, IRenderCostModel cost, ManifestReader manifests,
        IOptions<FarmOptions> options, FarmMetrics metrics, PartitionedLeaser queue, ILogger<RenderWorker> logger)
    {
        _queue = queue;
        _grains = grains;
        _silo = silo;
        _engine = engine;
        _cost = cost;
        _manifests = manifests;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public string SiloId => _silo.SiloAddress.ToParsableString();
    public string SiloName => _silo.Name;

    /// <summary>Videos rendering now, and the most ever seen at once.</summary>
    public int Busy { get { lock (_lock) return _active.Count; } }
    public int MaxBusyObserved => Volatile.Read(ref _maxBusy);
    public int? ConfiguredSlots => _options.Slots;
    public long CapacityBytes => Interlocked.Read(ref _capacityBytes);

    /// <summary>Completes when the model is loaded and the silo takes work (readiness).</summary>
    public Task Ready => _ready.Task;
    public bool IsReady => _ready.Task.IsCompletedSuccessfully && !_draining;
    public bool IsDraining => _draining;

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
        _draining = true;
        ActiveVideo[] running;
        lock (_lock) running = _active.Values.ToArray();
        if (running.Length > 0) _logger.LogInformation("Draining: {Count} videos checkpoint at their next chunk boundary", running.Length);
        foreach (var video in running) video.Suspend?.Invoke();
        _wake.Release();
        var deadline = DateTime.UtcNow + _options.DrainTimeout;
        while (Busy > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(100, CancellationToken.None);
        await _stop.CancelAsync();
        if (_loop is not null) await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        if (Busy > 0) _logger.LogWarning("Drain timed out with {Count} videos still rendering; their leases expire and other silos resume them", Busy);
    }

    /// <summary>A started video registers how to ask it to checkpoint and stop (used when the silo drains).</summary>
    public void Attach(string leaseId, Action suspend)
    {
        lock (_lock)
            if (_active.TryGetValue(leaseId, out var video)) video.Suspend = suspend;
        if (_draining) suspend();
    }

    /// <summary>The video stopped: its slot is free, and its lease ends at its partition (done, failed: retried
    /// after a backoff or failed for good, or returned: checkpointed for a drain).</summary>
    public async Task VideoEndedAsync(WorkLease lease, LeaseOutcome outcome, string? error)
    {
        Release(lease.LeaseId);
        await _queue.EndAsync(lease, outcome, error);
        _wake.Release();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        EngineInfo info;
        try
        {
            info = await _engine.LoadAsync(stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            _logger.LogCritical(ex, "Silo {Silo} could not load the model; it takes no work", SiloName);
            _ready.TrySetException(ex);
            return;
        }
        catch (OperationCanceledException)
        {
            _ready.TrySetCanceled(stop);
            return;
        }
        var capacity = (long)((info.DeviceMemoryBytes - info.ModelBytes) * (1 - _options.ReserveFraction));
        Interlocked.Exchange(ref _capacityBytes, Math.Max(0, capacity));
        long reference = _cost.EstimateVideoBytes(new RenderFootprint(832, 480, 21, "self-forcing"));
        int slots = _options.Slots ?? (int)Math.Max(0, capacity / Math.Max(1, reference));
        _metrics.SlotsTotal = slots;
        _logger.LogInformation("Silo {Silo} renders: {Slots} slots ({Mode}; device {Device} {Memory:F1} GiB, model {Model:F2} GiB, {PerVideo:F2} GiB per 832x480x81 video)",
            SiloName, slots, _options.Slots is null ? "from device memory" : "configured", info.Device, info.DeviceMemoryBytes / (double)(1L << 30),
            info.ModelBytes / (double)(1L << 30), reference / (double)(1L << 30));
        _ready.TrySetResult();

        var nextDepth = DateTime.UtcNow;
        while (!stop.IsCancellationRequested && !_draining)
        {
            try
            {
                var request = Budget();
                if (request.MaxVideos > 0)
                {
                    var leases = await _queue.LeaseAsync(request, stop);
                    foreach (var lease in leases) await StartOneAsync(lease, stop);
                    if (leases.Count > 0) continue;
                }
                if (DateTime.UtcNow >= nextDepth)
                {
                    _metrics.QueueDepth = (await _queue.SnapshotAsync()).PendingItems;
                    nextDepth = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                }
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

    private LeaseRequest Budget()
    {
        lock (_lock)
        {
            if (_options.Slots is { } slots) return new LeaseRequest(SiloId, slots - _active.Count, long.MaxValue, long.MaxValue);
            long capacity = CapacityBytes;
            return new LeaseRequest(SiloId, 64 - _active.Count, capacity - _reservedBytes, capacity);
        }
    }

    private async Task StartOneAsync(WorkLease lease, CancellationToken stop)
    {
        Reserve(lease);
        StartResult result;
        try
        {
            var job = await JobAsync(lease.JobId);
            if (job is null)
            {
                Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Done, "job unknown");
                return;
            }
            JobItem item;
            try
            {
                item = await _manifests.ReadItemAsync(job, lease.ItemIndex, stop);
            }
            catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or ArgumentOutOfRangeException)
            {
                _logger.LogError(ex, "Job {Job} item {Item}: manifest unreadable", lease.JobId, lease.ItemIndex);
                Release(lease.LeaseId);
                var videoId = VideoKey.DefaultVideoId(lease.JobId, lease.ItemIndex);
                // Reading again will not help: the item fails for good.
                await _grains.GetGrain<IJobGrain>(lease.JobId).ReportAsync(new VideoReport(lease.ItemIndex, videoId, ProgressKind.Failed, 0, 0, 0, SiloName,
                    $"manifest entry unreadable: {ex.Message}") { Attempt = lease.Attempt, Generation = lease.Generation });
                await _queue.EndAsync(lease, LeaseOutcome.Done, ex.Message);
                return;
            }
            var video = _grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(lease.JobId, item.VideoId));
            RequestContext.Set(IPlacementDirector.PlacementHintKey, _silo.SiloAddress);
            try
            {
                result = await video.StartAsync(new VideoAssignment(lease, job, item, SiloId));
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job} item {Item}: could not start; returning it to the queue", lease.JobId, lease.ItemIndex);
            Release(lease.LeaseId);
            await _queue.EndAsync(lease, LeaseOutcome.Returned, ex.Message, TimeSpan.FromSeconds(1));
            return;
        }

        switch (result.Outcome)
        {
            case StartOutcome.Started:
                break; // the video calls VideoEndedAsync or VideoSuspendedAsync
            case StartOutcome.AlreadyRunning:
                // Still rendering under an older lease (an older generation, or a lease that expired while its silo
                // hung): try again once that render has stopped.
                Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Returned, "already rendering", _options.RetryBackoff);
                break;
            case StartOutcome.WrongSilo:
                Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Returned, "activation on another silo");
                break;
            default:
                Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Done, null);
                break;
        }
    }

    private async Task<JobDefinition?> JobAsync(string jobId)
    {
        lock (_lock)
            if (_jobs.TryGetValue(jobId, out var cached)) return cached;
        var job = await _grains.GetGrain<IJobGrain>(jobId).GetDefinitionAsync();
        if (job is null) return null;
        lock (_lock)
        {
            if (_jobs.Count >= 256) _jobs.Clear();
            _jobs[jobId] = job;
        }
        return job;
    }

    private void Reserve(WorkLease lease)
    {
        lock (_lock)
        {
            _active[lease.LeaseId] = new ActiveVideo(lease);
            if (_options.Slots is null) _reservedBytes += lease.RequiredBytes;
            _maxBusy = Math.Max(_maxBusy, _active.Count);
            _metrics.SlotsBusy = _active.Count;
            _metrics.ReservedBytes = _reservedBytes;
        }
    }

    private void Release(string leaseId)
    {
        lock (_lock)
        {
            if (!_active.Remove(leaseId, out var video)) return;
            if (_options.Slots is null) _reservedBytes -= video.Lease.RequiredBytes;
            _metrics.SlotsBusy = _active.Count;
            _metrics.ReservedBytes = _reservedBytes;
        }
    }

    public void Dispose()
    {
        // Registered both as itself and as a lifecycle participant, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class ActiveVideo(WorkLease lease)
    {
        public WorkLease Lease { get; } = lease;
        public Action? Suspend { get; set; }
    }
}
