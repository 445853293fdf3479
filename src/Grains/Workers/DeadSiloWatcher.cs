using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace HiStream.Grains.Workers;

/// <summary>Expires a dead silo's leases as soon as cluster membership declares it dead, instead of waiting for them
/// to run out (<see cref="FarmOptions.LeaseDuration"/>): failover then takes as long as death detection
/// (<c>Orleans:Membership</c> probe settings), seconds rather than minutes. Every silo watches and tells every queue
/// partition; a second release finds nothing. Lease expiry still covers a silo that hangs without dying.</summary>
public sealed class DeadSiloWatcher : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly IClusterMembershipService _membership;
    private readonly IGrainFactory _grains;
    private readonly FarmOptions _options;
    private readonly ILogger<DeadSiloWatcher> _logger;
    private readonly FarmRetry _retry;
    private readonly CancellationTokenSource _stop = new();
    private Task? _watch;
    private int _disposed;

    public DeadSiloWatcher(IClusterMembershipService membership, IGrainFactory grains, IOptions<FarmOptions> options, ILogger<DeadSiloWatcher> logger)
    {
        _membership = membership;
        _grains = grains;
        _options = options.Value;
        _logger = logger;
        _retry = new FarmRetry(_options, FarmRetry.IsTransientOrStale); // a second release finds nothing
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
                    else if (alive.Remove(member.SiloAddress)) _ = ReleaseAsync(member.SiloAddress, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReleaseAsync(SiloAddress silo, CancellationToken stop)
    {
        var released = await Task.WhenAll(Enumerable.Range(0, _options.QueuePartitions).Select(p => ReleaseAsync(p, silo.ToParsableString(), stop)));
        if (released.Sum() > 0) _logger.LogWarning("Silo {Silo} is dead: {Count} of its videos went back to the queue", silo, released.Sum());
    }

    private async Task<int> ReleaseAsync(int partition, string silo, CancellationToken stop)
    {
        try
        {
            // The partition may have lived on the dead silo: it reactivates elsewhere once the directory caught up.
            return await _retry.ExecuteAsync(() => FarmQueue.Partition(_grains, partition).ReleaseSiloAsync(silo), stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Could not release dead silo {Silo}'s leases in partition {Partition}; they expire instead", silo, partition);
            return 0;
        }
        catch (Exception)
        {
            return 0; // stopping
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
