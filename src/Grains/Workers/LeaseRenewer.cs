using HiStream.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>Keeps this silo's leases alive: every <see cref="FarmOptions.LeaseRenewInterval"/> it renews the leases
/// of the videos running here, so only a silo that stops renewing (dead or hung) loses them to expiry.</summary>
public sealed class LeaseRenewer
{
    private readonly WorkerQueue _queue;
    private readonly RenderSlots _slots;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private DateTimeOffset _next;

    public LeaseRenewer(WorkerQueue queue, RenderSlots slots, IOptions<FarmOptions> options, TimeProvider time)
    {
        _queue = queue;
        _slots = slots;
        _options = options.Value;
        _time = time;
        _next = time.GetUtcNow() + _options.LeaseRenewInterval;
    }

    public async Task RenewIfDueAsync(string siloId)
    {
        if (_time.GetUtcNow() < _next) return;
        var ids = _slots.LeaseIds();
        if (ids.Length > 0) await _queue.Grain.RenewAsync(siloId, ids);
        _next = _time.GetUtcNow() + _options.LeaseRenewInterval;
    }
}
