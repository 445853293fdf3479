using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Queue;

/// <summary>A silo's view of the partitioned queue. To lease, it asks every partition what it would hand out next
/// (in parallel, each with a timeout), orders the answers (priority, fair share, submission, item) and leases one
/// item from each of the best partitions. A partition that does not answer in time is skipped for a while, so a
/// partition whose silo died delays only its own stripe while the others keep the farm busy.</summary>
public sealed class PartitionedLeaser
{
    private static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(10);
    private readonly IGrainFactory _grains;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PartitionedLeaser> _logger;
    private readonly DateTimeOffset[] _suspectUntil;
    private readonly FarmRetry _endRetry;

    public PartitionedLeaser(IGrainFactory grains, IOptions<FarmOptions> options, TimeProvider time, ILogger<PartitionedLeaser> logger)
    {
        _grains = grains;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _suspectUntil = new DateTimeOffset[Math.Max(1, _options.QueuePartitions)];
        _endRetry = new FarmRetry(_options, FarmRetry.IsTransientOrStale); // idempotent: a retried end finds its lease already gone
    }

    public int Partitions => _suspectUntil.Length;

    public async Task<IReadOnlyList<WorkLease>> LeaseAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        if (request.MaxVideos <= 0) return [];
        var now = _time.GetUtcNow();
        var peeks = Enumerable.Range(0, Partitions).Where(p => _suspectUntil[p] <= now)
            .Select(p => CallAsync<QueueHead>(p, g => g.PeekAsync(request), cancellationToken));
        var heads = (await Task.WhenAll(peeks)).Where(h => h is not null).Select(h => h!).OrderBy(h => h).ToList();
        if (heads.Count == 0) return [];

        // One item from each of the best partitions, as long as the slots and the free memory last.
        var picks = new List<(QueueHead Head, long FreeBefore)>();
        long free = request.FreeBytes;
        foreach (var head in heads.Take(request.MaxVideos))
        {
            if (head.RequiredBytes > free) break; // fits later: wait for memory rather than let lower priorities pass
            picks.Add((head, free));
            free -= head.RequiredBytes;
        }
        var leases = await Task.WhenAll(picks.Select(p =>
            CallAsync<WorkLease[]>(p.Head.Partition, async g => await g.TryLeaseAsync(request with { MaxVideos = 1, FreeBytes = p.FreeBefore }), cancellationToken)));
        return leases.Where(l => l is not null).SelectMany(l => l!).ToList();
    }

    /// <summary>Ends a lease at its partition; retried (<see cref="FarmRetry"/>), since an item whose end is lost stays
    /// leased until it expires. <paramref name="final"/>: the item's outcome, stored by the partition in the same write.
    /// The workers pass no token: a silo that drains must still hand its leases back.</summary>
    public async Task EndAsync(WorkLease lease, LeaseOutcome outcome, string? error, TimeSpan retryAfter = default, VideoReport? final = null,
        CancellationToken cancellationToken = default)
    {
        var end = new LeaseEnd(lease.LeaseId, lease.JobId, lease.ItemIndex, outcome, error) { RetryAfter = retryAfter, Final = final };
        try
        {
            await _endRetry.ExecuteAsync(ct => FarmQueue.Partition(_grains, lease.Partition).EndLeaseAsync(end).WaitAsync(_options.QueueCallTimeout * 2, ct), cancellationToken);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Ending lease {Lease} (job {Job} item {Item}) failed: {Message}", lease.LeaseId, lease.JobId, lease.ItemIndex, ex.Message);
            throw;
        }
    }

    public Task<QueueSnapshot> SnapshotAsync() => FarmQueue.SnapshotAsync(_grains, Partitions, _options.QueueCallTimeout);

    /// <summary>One partition's answer, or null when it fails: a partition that does not answer (or whose silo is gone)
    /// is skipped for a while; any other failure (its state write failed) skips it for this round only. Either way the
    /// other partitions' answers, and the leases they granted, are kept.</summary>
    private async Task<T?> CallAsync<T>(int partition, Func<IQueuePartitionGrain, Task<T?>> call, CancellationToken cancellationToken) where T : class
    {
        try
        {
            var result = await call(FarmQueue.Partition(_grains, partition)).WaitAsync(_options.QueueCallTimeout, cancellationToken);
            _suspectUntil[partition] = default;
            return result;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            _suspectUntil[partition] = _time.GetUtcNow() + SuspectFor;
            _logger.LogWarning("Queue partition {Partition} did not answer ({Message}); skipping it for {Seconds} s", partition, ex.Message, SuspectFor.TotalSeconds);
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Queue partition {Partition} failed ({Message}); skipping it this round", partition, ex.Message);
            return null;
        }
    }
}
