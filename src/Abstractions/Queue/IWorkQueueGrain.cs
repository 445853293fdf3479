using Orleans.Concurrency;

namespace HiStream.Abstractions.Queue;

/// <summary>The durable work queue: entries are jobs (with a cursor over their items) plus retried items, ordered by
/// priority (higher first) then submission order. Silos pull from it when a slot is free.</summary>
[Alias("histream.IWorkQueueGrain")]
public interface IWorkQueueGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    [Alias("EnqueueJob")]
    Task EnqueueJobAsync(string jobId, int priority, int itemCount, long requiredBytes);

    [Alias("EnqueueItems")]
    Task EnqueueItemsAsync(string jobId, int priority, long requiredBytes, int[] itemIndices);

    [Alias("TryLease")]
    Task<WorkLease[]> TryLeaseAsync(LeaseRequest request);

    [Alias("Renew")]
    Task RenewAsync(string silo, string[] leaseIds);

    /// <summary>The item ended (any outcome); its lease, whichever silo holds it, is dropped.</summary>
    [Alias("Complete")]
    Task CompleteAsync(string jobId, int itemIndex);

    /// <summary>Gives an item back unrendered (silo draining, activation elsewhere); it goes to the front of its priority.</summary>
    [Alias("Return")]
    Task ReturnAsync(string leaseId);

    /// <summary>Every lease the silo holds goes back to the front of its job (membership declared the silo dead).
    /// Returns how many.</summary>
    [Alias("ReleaseSilo")]
    Task<int> ReleaseSiloAsync(string silo);

    [Alias("CancelJob")]
    Task<CancelledWork> CancelJobAsync(string jobId);

    [AlwaysInterleave, Alias("GetSnapshot")]
    Task<QueueSnapshot> GetSnapshotAsync();
}
