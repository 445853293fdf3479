using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>The silo's drain: once begun, the silo takes no new work, running videos checkpoint at their next chunk
/// boundary and return their leases, and <see cref="WaitAsync"/> waits for that up to
/// <see cref="FarmOptions.DrainTimeout"/>. Past that grace, the chunks in flight are abandoned: their videos return
/// their leases at once and other silos resume them from the last stored chunk.</summary>
public sealed class SiloDrain
{
    private readonly RenderSlots _slots;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SiloDrain> _logger;
    private volatile bool _draining;

    public SiloDrain(RenderSlots slots, IOptions<FarmOptions> options, TimeProvider time, ILogger<SiloDrain> logger)
    {
        _slots = slots;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public bool IsDraining => _draining;

    /// <summary>Stops new work and asks running videos to checkpoint.</summary>
    public void Begin()
    {
        _draining = true;
        int running = _slots.SuspendAll();
        if (running > 0) _logger.LogInformation("Draining: {Count} videos checkpoint at their next chunk boundary", running);
    }

    /// <summary>Time the videos get after the grace to give their leases back (state write and queue call).</summary>
    public static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(10);

    /// <summary>Waits until no video runs here or the drain timeout passes (or <paramref name="cancellationToken"/>
    /// fires); then abandons the chunks still in flight and waits briefly for their leases to go back.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await WaitIdleAsync(_options.DrainTimeout, cancellationToken);
        if (_slots.Busy == 0) return;
        int aborted = _slots.AbortAll();
        _logger.LogWarning("Drain grace ({Grace}) is over: {Count} videos abandon their chunk in flight and resume elsewhere", _options.DrainTimeout, aborted);
        await WaitIdleAsync(AbortGrace, CancellationToken.None);
    }

    private async Task WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (_slots.Busy > 0 && _time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, CancellationToken.None);
    }
}
