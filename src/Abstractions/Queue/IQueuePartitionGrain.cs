using Orleans.Concurrency;

namespace HiStream.Abstractions.Queue;

/// <summary>One partition of the work queue, keyed 0..N-1 (<c>Farm:QueuePartitions</c>). Each holds a cursor per job
/// over its stripe of the job's items, the retries due, and its leases in flight. Partitions are independent grains
/// spread over the silos, so a partition whose silo is down delays only its own stripe; silos keep pulling from the
/// others.</summary>
[Alias("histream.IQueuePartitionGrain")]
public interface IQueuePartitionGrain : IGrainWithIntegerKey
{
    /// <summary>Adds the job's stripe; a newer generation replaces an older one; the same generation again changes nothing.</summary>
    [Alias("EnqueueJob")]
    Task EnqueueJobAsync(QueuedJobSpec job);

    /// <summary>Queues these items (of this partition's stripe) again with a fresh attempt budget (a user's retry).</summary>
    [Alias("EnqueueItems")]
    Task EnqueueItemsAsync(QueuedJobSpec job, int[] itemIndices);

    /// <summary>What this partition would hand to <paramref name="request"/> now, without handing it out.</summary>
    [AlwaysInterleave, Alias("Peek")]
    Task<QueueHead?> PeekAsync(LeaseRequest request);

    [Alias("TryLease")]
    Task<WorkLease[]> TryLeaseAsync(LeaseRequest request);

    /// <summary>The video made progress (a chunk): its lease runs for another lease duration. Kept in memory only,
    /// so a renewal writes nothing. False when the lease is unknown (it expired and the item went back).</summary>
    [AlwaysInterleave, Alias("Renew")]
    Task<bool> RenewAsync(string leaseId);

    /// <summary>Ends a lease. Idempotent: a second end of the same lease changes nothing.</summary>
    [Alias("EndLease")]
    Task EndLeaseAsync(LeaseEnd end);

    /// <summary>Membership declared the silo dead: its leases here expire now (requeued with their next attempt, or
    /// failed after the last), instead of when their lease duration runs out. Returns how many.</summary>
    [Alias("ReleaseSilo")]
    Task<int> ReleaseSiloAsync(string silo);

    [Alias("ControlJob")]
    Task ControlJobAsync(JobControl control);

    /// <summary>Drops the job's queued items (cancel, deadline); its leases run on and end normally.</summary>
    [Alias("DropJob")]
    Task DropJobAsync(string jobId, int generation, bool cancelled);

    /// <summary>The job has durably counted this partition's outcomes up to <paramref name="upToSequence"/>: forget them.</summary>
    [OneWay, AlwaysInterleave, Alias("AckOutcomes")]
    Task AckOutcomesAsync(string jobId, long upToSequence);

    /// <summary>A job (re)activated: send it every outcome it has not acknowledged.</summary>
    [OneWay, AlwaysInterleave, Alias("ResendOutcomes")]
    Task ResendOutcomesAsync(string jobId);

    [AlwaysInterleave, Alias("GetSnapshot")]
    Task<QueueSnapshot> GetSnapshotAsync();
}
