using HiStream.Abstractions.Queue;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Queue;

/// <summary>The durable queue (see <see cref="PriorityWorkQueue"/> for the rules). State is written after every
/// change, so a restarted silo resumes with the same order and leases.</summary>
public sealed class WorkQueueGrain : Grain, IWorkQueueGrain
{
    private readonly IPersistentState<WorkQueueState> _state;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private PriorityWorkQueue _queue = null!;

    public WorkQueueGrain([PersistentState("queue", FarmStorage.Name)] IPersistentState<WorkQueueState> state, IOptions<FarmOptions> options, TimeProvider time)
    {
        _state = state;
        _options = options.Value;
        _time = time;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _queue = new PriorityWorkQueue(_state.State, _options.LeaseDuration);
        // Leases of a silo that died are found by expiry; check even when nobody asks for work.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(_options.LeaseDuration.Ticks / 4, TimeSpan.FromSeconds(10).Ticks)));
        this.RegisterGrainTimer(ExpireAsync, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task EnqueueJobAsync(string jobId, int priority, int itemCount, long requiredBytes) =>
        SaveIf(_queue.AddJob(jobId, priority, itemCount, requiredBytes));

    public Task EnqueueItemsAsync(string jobId, int priority, long requiredBytes, int[] itemIndices) =>
        SaveIf(_queue.AddItems(jobId, priority, requiredBytes, itemIndices));

    public async Task<WorkLease[]> TryLeaseAsync(LeaseRequest request)
    {
        var now = _time.GetUtcNow();
        bool expired = _queue.ExpireLeases(now);
        var leases = _queue.Lease(request, now, () => Guid.NewGuid().ToString("N"));
        await SaveIf(expired || leases.Count > 0);
        return leases.ToArray();
    }

    public Task RenewAsync(string silo, string[] leaseIds) => SaveIf(_queue.Renew(silo, leaseIds, _time.GetUtcNow()));

    public async Task<int> ReleaseSiloAsync(string silo)
    {
        int released = _queue.ReleaseSilo(silo);
        await SaveIf(released > 0);
        return released;
    }

    public Task CompleteAsync(string jobId, int itemIndex) => SaveIf(_queue.Complete(jobId, itemIndex));

    public Task ReturnAsync(string leaseId) => SaveIf(_queue.Return(leaseId));

    public async Task<CancelledWork> CancelJobAsync(string jobId)
    {
        var work = _queue.CancelJob(jobId);
        await _state.WriteStateAsync();
        return work;
    }

    public Task<QueueSnapshot> GetSnapshotAsync() => Task.FromResult(_queue.Snapshot());

    private Task ExpireAsync(CancellationToken cancellationToken) => SaveIf(_queue.ExpireLeases(_time.GetUtcNow()));

    private Task SaveIf(bool changed) => changed ? _state.WriteStateAsync() : Task.CompletedTask;
}
