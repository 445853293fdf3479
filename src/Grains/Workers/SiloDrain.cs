using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>The silo's drain: once begun, the silo takes no new work, running videos checkpoint at their next chunk
/// boundary and return their leases, and <see cref="DrainAsync"/> waits for that up to
/// <see cref="FarmOptions.DrainTimeout"/>. Leases still held after that expire and other silos resume them.</summary>
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

    /// <summary>Waits until no video runs here, the drain timeout passes, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.DrainTimeout;
        while (_slots.Busy > 0 && _time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, CancellationToken.None);
    }
}
