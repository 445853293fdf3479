using HiStream.Abstractions.Queue;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Queue;

/// <summary>Renews videos' leases at their partitions. A video holds its lease through a <see cref="LeaseKeeper"/>
/// (<see cref="Keep"/>): it renews on progress and on a heartbeat while a device call runs, so a lease is lost only
/// when the silo stops (dies or hangs as a whole) or the watchdog has failed the video, whose lease then ends as
/// failed. Only a clear "unknown lease" from the partition means the lease is lost; a partition that does not answer
/// (its silo is down) is not a reason to stop rendering.</summary>
public sealed class LeaseRenewals(IGrainFactory grains, IOptions<FarmOptions> options, TimeProvider time, ILogger<LeaseRenewals> logger)
{
    private readonly TimeSpan _timeout = options.Value.QueueCallTimeout;

    /// <summary>How often a lease is renewed while its video's device call runs: a third of
    /// <see cref="FarmOptions.LeaseDuration"/>, so two renewals in a row may be lost or late before it expires.</summary>
    public TimeSpan HeartbeatPeriod { get; } = options.Value.LeaseDuration / 3;

    public LeaseKeeper Keep(WorkLease lease) => new(this, lease, HeartbeatPeriod, time);

    /// <summary>False only when the partition answered that it does not know the lease.</summary>
    public async Task<bool> Renew(WorkLease lease)
    {
        try
        {
            return await FarmQueue.Partition(grains, lease.Partition).RenewAsync(lease.LeaseId).WaitAsync(_timeout);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Renewing lease {Lease} on partition {Partition}: {Message}", lease.LeaseId, lease.Partition, ex.Message);
            return true;
        }
    }
}
