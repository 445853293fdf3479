using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>The silo's breaker. After <see cref="FarmOptions.FailureBreakerThreshold"/> videos in a row fail here,
/// or once a device call outlives <see cref="FarmOptions.DeviceCallTimeout"/> (watchdog), the silo is unhealthy: it
/// stops pulling work and <c>/ready</c> answers 503, so a broken device stops eating the queue. It stays open until
/// the process restarts (a hung device call also fails <c>/healthz</c>, so Kubernetes restarts the pod).</summary>
public sealed class SiloHealth
{
    private readonly FarmOptions _options;
    private readonly ILogger<SiloHealth> _logger;
    private readonly Lock _lock = new();
    private int _failuresInARow;
    private string? _reason;
    private volatile bool _deviceHung;

    public SiloHealth(IOptions<FarmOptions> options, ILogger<SiloHealth> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public bool IsHealthy { get { lock (_lock) return _reason is null; } }

    /// <summary>Why the silo stopped taking work (null while healthy).</summary>
    public string? Reason { get { lock (_lock) return _reason; } }

    /// <summary>True once the watchdog found a device call that never returned (liveness fails then).</summary>
    public bool DeviceHung => _deviceHung;

    public int FailuresInARow { get { lock (_lock) return _failuresInARow; } }

    public void VideoCompleted()
    {
        lock (_lock) _failuresInARow = 0;
    }

    public void VideoFailed(string error)
    {
        int count;
        lock (_lock)
        {
            count = ++_failuresInARow;
            if (_options.FailureBreakerThreshold <= 0 || count < _options.FailureBreakerThreshold || _reason is not null) return;
            _reason = $"{count} videos failed in a row (last: {error})";
        }
        _logger.LogError("Breaker open: {Count} videos failed in a row on this silo; it stops taking work (last error: {Error})", count, error);
    }

    public void DeviceCallTimedOut(string what)
    {
        _deviceHung = true;
        lock (_lock) _reason ??= $"device call '{what}' exceeded the watchdog deadline of {_options.DeviceCallTimeout}";
        _logger.LogCritical("Watchdog: device call {What} exceeded {Timeout}; the silo stops taking work", what, _options.DeviceCallTimeout);
    }
}
