using HiStream.Abstractions.Queue;
using HiStream.Grains.Hosting;
using HiStream.Grains.Telemetry;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>The silo's render slots: which leased videos run here, the device memory they reserve, and how much more
/// the silo can ask the queue for. With <see cref="FarmOptions.Slots"/> set it counts videos; otherwise it budgets
/// device memory (capacity set once the model is loaded).</summary>
public sealed class RenderSlots
{
    /// <summary>At most this many videos per lease request when slots come from device memory.</summary>
    public const int MaxVideosPerSilo = 64;

    private readonly FarmOptions _options;
    private readonly FarmMetrics _metrics;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ActiveVideo> _active = new(StringComparer.Ordinal);
    private long _reservedBytes;
    private long _capacityBytes;
    private int _maxBusy;

    public RenderSlots(IOptions<FarmOptions> options, FarmMetrics metrics)
    {
        _options = options.Value;
        _metrics = metrics;
    }

    public int Busy { get { lock (_lock) return _active.Count; } }
    public int MaxBusyObserved => Volatile.Read(ref _maxBusy);
    public int? ConfiguredSlots => _options.Slots;
    public long CapacityBytes => Interlocked.Read(ref _capacityBytes);

    public void SetCapacity(long bytes) => Interlocked.Exchange(ref _capacityBytes, Math.Max(0, bytes));

    /// <summary>What this silo can take now.</summary>
    public LeaseRequest Budget(string siloId)
    {
        lock (_lock)
        {
            if (_options.Slots is { } slots) return new LeaseRequest(siloId, slots - _active.Count, long.MaxValue, long.MaxValue);
            long capacity = CapacityBytes;
            return new LeaseRequest(siloId, MaxVideosPerSilo - _active.Count, capacity - _reservedBytes, capacity);
        }
    }

    public void Reserve(WorkLease lease)
    {
        lock (_lock)
        {
            _active[lease.LeaseId] = new ActiveVideo(lease);
            if (_options.Slots is null) _reservedBytes += lease.RequiredBytes;
            _maxBusy = Math.Max(_maxBusy, _active.Count);
            Publish();
        }
    }

    /// <summary>Frees the lease's slot; false when it was not held here.</summary>
    public bool Release(string leaseId)
    {
        lock (_lock)
        {
            if (!_active.Remove(leaseId, out var video)) return false;
            if (_options.Slots is null) _reservedBytes -= video.Lease.RequiredBytes;
            Publish();
            return true;
        }
    }

    /// <summary>Remembers how to ask a started video to checkpoint and stop (<paramref name="suspend"/>: at its next
    /// chunk boundary; <paramref name="abort"/>: now, abandoning the chunk in flight).</summary>
    public void Attach(string leaseId, Action suspend, Action abort)
    {
        lock (_lock)
            if (_active.TryGetValue(leaseId, out var video))
            {
                video.Suspend = suspend;
                video.Abort = abort;
            }
    }

    public string[] LeaseIds()
    {
        lock (_lock) return _active.Keys.ToArray();
    }

    /// <summary>Asks every running video to checkpoint at its next chunk boundary; returns how many were asked.</summary>
    public int SuspendAll()
    {
        ActiveVideo[] running;
        lock (_lock) running = _active.Values.ToArray();
        foreach (var video in running) video.Suspend?.Invoke();
        return running.Length;
    }

    /// <summary>Stops every running video now, mid-chunk (the drain's grace is over); returns how many.</summary>
    public int AbortAll()
    {
        ActiveVideo[] running;
        lock (_lock) running = _active.Values.ToArray();
        foreach (var video in running) video.Abort?.Invoke();
        return running.Length;
    }

    private void Publish()
    {
        _metrics.SlotsBusy = _active.Count;
        _metrics.ReservedBytes = _reservedBytes;
    }

    private sealed class ActiveVideo(WorkLease lease)
    {
        public WorkLease Lease { get; } = lease;
        public Action? Suspend { get; set; }
        public Action? Abort { get; set; }
    }
}
