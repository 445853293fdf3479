using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>The silo's breaker. After <see cref="FarmOptions.FailureBreakerThreshold"/> videos in a row fail here
/// because of the device (the worker reports only those, see <see cref="RenderWorker.VideoEndedAsync"/>), or once a
/// device call outlives <see cref="FarmOptions.DeviceCallTimeout"/> (watchdog), the silo is unhealthy: it stops pulling
/// work and <c>/ready</c> answers 503, so a broken device stops eating the queue. Failures in a row half-open it after
/// <see cref="FarmOptions.BreakerCooldown"/>: the silo takes work again, one more failure opens it again, a success
/// closes it. A hung device call keeps it open (it also fails <c>/healthz</c>, so Kubernetes restarts the pod).</summary>
public sealed class SiloHealth
{
    private readonly FarmOptions _options;
    private readonly ILogger<SiloHealth> _logger;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private int _failuresInARow;
    private string? _reason;
    private DateTimeOffset _openedAt;
    private bool _halfOpen;
    private volatile bool _deviceHung;

    public SiloHealth(IOptions<FarmOptions> options, ILogger<SiloHealth> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    public bool IsHealthy
    {
        get
        {
            lock (_lock)
            {
                if (_reason is null) return true;
                if (_deviceHung || _time.GetUtcNow() - _openedAt < _options.BreakerCooldown) return false;
                if (!_halfOpen) _logger.LogWarning("Breaker half-open after {Cooldown}: this silo tries work again ({Reason})", _options.BreakerCooldown, _reason);
                _halfOpen = true;
                return true;
            }
        }
    }

    /// <summary>True while the breaker lets work through on trial after its cooldown.</summary>
    public bool IsHalfOpen { get { lock (_lock) return _halfOpen; } }

    /// <summary>Why the silo stopped taking work (null while healthy).</summary>
    public string? Reason { get { lock (_lock) return _reason; } }

    /// <summary>True once the watchdog found a device call that never returned (liveness fails then).</summary>
    public bool DeviceHung => _deviceHung;

    public int FailuresInARow { get { lock (_lock) return _failuresInARow; } }

    public void VideoCompleted()
    {
        lock (_lock)
        {
            _failuresInARow = 0;
            if (!_halfOpen || _deviceHung) return;
            _halfOpen = false;
            _reason = null;
        }
        _logger.LogInformation("Breaker closed: a video completed on trial");
    }

    public void VideoFailed(string error)
    {
        int count;
        lock (_lock)
        {
            count = ++_failuresInARow;
            if (_options.FailureBreakerThreshold <= 0 || _deviceHung) return;
            if (_halfOpen)
            {
                _halfOpen = false;
                _openedAt = _time.GetUtcNow();
                _reason = $"{count} videos failed in a row, the last on trial after the breaker's cooldown (last: {error})";
            }
            else if (count < _options.FailureBreakerThreshold || _reason is not null) return;
            else
            {
                _openedAt = _time.GetUtcNow();
                _reason = $"{count} videos failed in a row (last: {error})";
            }
        }
        _logger.LogError("Breaker open: {Count} videos failed in a row on this silo; it stops taking work for {Cooldown} (last error: {Error})",
            count, _options.BreakerCooldown, error);
    }

    public void DeviceCallTimedOut(string what)
    {
        _deviceHung = true;
        lock (_lock)
        {
            _halfOpen = false;
            _reason ??= $"device call '{what}' exceeded the watchdog deadline of {_options.DeviceCallTimeout}";
        }
        _logger.LogCritical("Watchdog: device call {What} exceeded {Timeout}; the silo stops taking work", what, _options.DeviceCallTimeout);
    }
}
