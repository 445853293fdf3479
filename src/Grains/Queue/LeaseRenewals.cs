using HiStream.Abstractions.Queue;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Queue;

/// <summary>Renews a video's lease when the video makes progress. The call is not awaited by the render loop: the
/// video looks at the answer at its next chunk. Only a clear "unknown lease" from the partition means the lease is
/// lost; a partition that does not answer (its silo is down) is not a reason to stop rendering.</summary>
public sealed class LeaseRenewals(IGrainFactory grains, IOptions<FarmOptions> options, ILogger<LeaseRenewals> logger)
{
    private readonly TimeSpan _timeout = options.Value.QueueCallTimeout;

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
