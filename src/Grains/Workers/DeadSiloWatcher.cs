using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace HiStream.Grains.Workers;

/// <summary>Returns a dead silo's leases as soon as cluster membership declares it dead, instead of waiting for them
/// to expire (<see cref="FarmOptions.LeaseDuration"/>): failover then takes as long as death detection
/// (<c>Orleans:Membership</c> probe settings), seconds rather than minutes. Every silo watches; the queue's release
/// is idempotent. Lease expiry still covers a silo that hangs without dying.</summary>
public sealed class DeadSiloWatcher : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly IClusterMembershipService _membership;
    private readonly WorkerQueue _queue;
    private readonly ILogger<DeadSiloWatcher> _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _watch;
    private int _disposed;

    public DeadSiloWatcher(IClusterMembershipService membership, WorkerQueue queue, ILogger<DeadSiloWatcher> logger)
    {
        _membership = membership;
        _queue = queue;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadSiloWatcher), ServiceLifecycleStage.Active, _ =>
        {
            _watch = Task.Run(() => WatchAsync(_stop.Token));
            return Task.CompletedTask;
        }, async _ =>
        {
            await _stop.CancelAsync();
            if (_watch is not null) await _watch.ContinueWith(_ => { }, TaskScheduler.Default);
        });

    private async Task WatchAsync(CancellationToken stop)
    {
        var alive = new HashSet<SiloAddress>(_membership.CurrentSnapshot.Members.Values.Where(m => m.Status != SiloStatus.Dead).Select(m => m.SiloAddress));
        try
        {
            await foreach (var snapshot in _membership.MembershipUpdates.WithCancellation(stop))
            {
                foreach (var member in snapshot.Members.Values)
                {
                    if (member.Status != SiloStatus.Dead) alive.Add(member.SiloAddress);
                    else if (alive.Remove(member.SiloAddress)) await ReleaseAsync(member.SiloAddress, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReleaseAsync(SiloAddress silo, CancellationToken stop)
    {
        for (int attempt = 1; !stop.IsCancellationRequested; attempt++)
        {
            try
            {
                int released = await _queue.Grain.ReleaseSiloAsync(silo.ToParsableString());
                if (released > 0) _logger.LogWarning("Silo {Silo} is dead: {Count} of its videos went back to the queue", silo, released);
                return;
            }
            catch (Exception ex) when (attempt < 10)
            {
                // The queue may have lived on the dead silo: it reactivates elsewhere once the directory has caught up.
                _logger.LogInformation("Releasing dead silo {Silo}'s leases (attempt {Attempt}): {Message}", silo, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), stop);
            }
        }
    }

    public void Dispose()
    {
        // Registered both as itself and as a lifecycle participant, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _stop.Dispose();
    }
}
