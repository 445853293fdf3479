using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;

namespace HiStream.Grains.Queue;

/// <summary>One queue partition (see <see cref="QueuePartition"/> for the rules). Its state is small (one cursor per
/// job, the retries, its leases) and is written only when a lease is granted or ended, a job is added, changed or
/// dropped, or a lease expires; renewals are in memory. Writes are group commits: the grain is reentrant, every change
/// is made synchronously and then waits for the next write that starts after it, so leases granted while a write is in
/// flight share the following one instead of queueing one write each.</summary>
[Reentrant]
public sealed class QueuePartitionGrain : Grain, IQueuePartitionGrain
{
    private readonly IPersistentState<QueuePartitionState> _state;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueuePartitionGrain> _logger;
    private QueuePartition _queue = null!;
    private readonly Dictionary<string, DateTimeOffset> _lastDelivery = new(StringComparer.Ordinal);
    /// <summary>Memory holds changes no write has stored (acknowledged outcomes, or a write failed): the next call or
    /// sweep writes, even one that changes nothing itself (a retried lease end finds its lease already gone).</summary>
    private bool _unsaved;
    private TaskCompletionSource? _nextWrite;
    private bool _writing;

    public QueuePartitionGrain([PersistentState("queue", FarmStorage.Name)] IPersistentState<QueuePartitionState> state, IOptions<FarmOptions> options,
        TimeProvider time, ILogger<QueuePartitionGrain> logger)
    {
        _state = state;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private int Partition => (int)this.GetPrimaryKeyLong();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _queue = new QueuePartition(_state.State, _options.QueueRules, Partition, _time.GetUtcNow());
        // Expired leases and deadlines are found even when nobody asks for work.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, Math.Min(_options.LeaseDuration.Ticks / 4, _options.LeaseRenewInterval.Ticks)));
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        // Outcomes stay here until their job acknowledges them; sent again until it does.
        var redelivery = _options.OutcomeRedelivery > TimeSpan.Zero ? _options.OutcomeRedelivery : TimeSpan.FromSeconds(2);
        this.RegisterGrainTimer(RedeliverAsync, new GrainTimerCreationOptions(redelivery, redelivery) { KeepAlive = true });
        Deliver(null);
        return Task.CompletedTask;
    }

    public Task EnqueueJobAsync(QueuedJobSpec job) => SaveIf(_queue.AddJob(job));

    public Task EnqueueItemsAsync(QueuedJobSpec job, int[] itemIndices) => SaveIf(_queue.AddItems(job, itemIndices, _time.GetUtcNow()));

    public Task<QueueHead?> PeekAsync(LeaseRequest request) => Task.FromResult(_queue.Peek(request, _time.GetUtcNow()));

    public async Task<WorkLease[]> TryLeaseAsync(LeaseRequest request)
    {
        var now = _time.GetUtcNow();
        bool changed = await ApplyDeadlinesAndExpiryAsync(now);
        var leases = _queue.Lease(request, now);
        try
        {
            await SaveIf(changed || leases.Count > 0);
        }
        catch (Exception ex) when (leases.Count > 0)
        {
            // The silo never gets these leases: put the items back now rather than leave them out until they expire.
            foreach (var report in _queue.GiveBack(leases, _time.GetUtcNow())) Record(report);
            if (ex is not InconsistentStateException) _unsaved = true; // else this activation is going, with its memory
            throw;
        }
        return leases.ToArray();
    }

    public Task<bool> RenewAsync(string leaseId) => Task.FromResult(_queue.Renew(leaseId, _time.GetUtcNow()));

    public async Task EndLeaseAsync(LeaseEnd end)
    {
        var (changed, report) = _queue.End(end, _time.GetUtcNow());
        if (end.Final is { Kind: ProgressKind.Completed or ProgressKind.Skipped or ProgressKind.Failed or ProgressKind.Cancelled } outcome)
        {
            // Stored even when the lease is unknown (it expired meanwhile): the job counts an item once, whatever comes first.
            _queue.AddOutcome(end.JobId, outcome);
            changed = true;
        }
        if (report is not null) Record(report);
        await SaveIf(changed || report is not null); // the outcome is durable before the lease's end returns
        if (end.Final is not null || report is not null) Deliver(end.JobId);
    }

    public Task AckOutcomesAsync(string jobId, long upToSequence)
    {
        if (!_queue.AckOutcomes(jobId, upToSequence)) return Task.CompletedTask;
        _unsaved = true; // persisted with the next write: a resend is harmless
        if (_queue.HasPendingOutcomes(jobId)) Deliver(jobId); // the next slice of a backlog
        return Task.CompletedTask;
    }

    public Task ResendOutcomesAsync(string jobId)
    {
        Deliver(jobId);
        return Task.CompletedTask;
    }

    public async Task<int> ReleaseSiloAsync(string silo)
    {
        var now = _time.GetUtcNow();
        int released = _queue.ExpireSilo(silo, now);
        if (released > 0) await SaveIf(await ApplyDeadlinesAndExpiryAsync(now));
        return released;
    }

    public Task ControlJobAsync(JobControl control) => SaveIf(_queue.Control(control));

    public async Task DropJobAsync(string jobId, int generation, bool cancelled)
    {
        var (changed, reports) = _queue.DropJob(jobId, generation, cancelled);
        foreach (var r in reports) Record(r);
        await SaveIf(changed);
        if (reports.Count > 0) Deliver(jobId);
    }

    public Task<QueueSnapshot> GetSnapshotAsync() => Task.FromResult(_queue.Snapshot(_time.GetUtcNow()));

    private async Task SweepAsync(CancellationToken cancellationToken) => await SaveIf(await ApplyDeadlinesAndExpiryAsync(_time.GetUtcNow()));

    private async Task RedeliverAsync(CancellationToken cancellationToken)
    {
        if (_unsaved) await SaveState();
        var due = _time.GetUtcNow() - _options.OutcomeRedelivery;
        var pending = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (jobId, batch) in _queue.PendingOutcomes())
        {
            pending.Add(jobId);
            if (!_lastDelivery.TryGetValue(jobId, out var last) || last <= due) Send(jobId, batch);
        }
        foreach (var delivered in _lastDelivery.Keys.Where(j => !pending.Contains(j)).ToList()) _lastDelivery.Remove(delivered);
    }

    /// <summary>Sends the job(s) their unacknowledged outcomes (one-way: the partition never waits on a job).</summary>
    private void Deliver(string? jobId)
    {
        foreach (var (job, batch) in _queue.PendingOutcomes(jobId)) Send(job, batch);
    }

    private void Send(string jobId, OutcomeBatch batch)
    {
        _lastDelivery[jobId] = _time.GetUtcNow();
        try
        {
            _ = GrainFactory.GetGrain<IJobGrain>(jobId).DeliverOutcomesAsync(batch);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Partition {Partition}: could not send outcomes to job {Job}: {Message}", Partition, jobId, ex.Message);
        }
    }

    /// <summary>Ends what is due: jobs past their deadline (their jobs are told) and expired leases (requeued or failed).</summary>
    private async Task<bool> ApplyDeadlinesAndExpiryAsync(DateTimeOffset now)
    {
        var (deadlines, dropped) = _queue.CheckDeadlines(now);
        var (expired, reports) = _queue.ExpireLeases(now);
        reports.AddRange(dropped);
        if (deadlines.Count > 0 || reports.Count > 0)
        {
            foreach (var r in reports) Record(r);
            await SaveState(); // durable before the jobs are told
            foreach (var (jobId, generation) in deadlines)
                await TryAsync(jobId, () => GrainFactory.GetGrain<IJobGrain>(jobId).DeadlinePassedAsync(generation));
            foreach (var jobId in reports.Select(r => r.JobId).Distinct()) Deliver(jobId);
            return false;
        }
        return expired;
    }

    /// <summary>An item ended here without its video saying so: the outcome goes to the job through the outbox.</summary>
    private void Record(QueueReport r)
    {
        _logger.LogWarning("Partition {Partition}: job {Job} item {Item} ends here: {Message}", Partition, r.JobId, r.ItemIndex, r.Message);
        _queue.AddOutcome(r.JobId, new VideoReport(r.ItemIndex, VideoKey.DefaultVideoId(r.JobId, r.ItemIndex), r.Cancelled ? ProgressKind.Cancelled : ProgressKind.Failed,
            0, 0, 0, null, r.Message)
        {
            Attempt = r.Attempt,
            Generation = r.Generation,
            FromQueue = true,
        });
    }

    private async Task TryAsync(string jobId, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception ex)
        {
            // One-way calls: this fails only if the message cannot be sent at all.
            _logger.LogWarning(ex, "Partition {Partition}: could not reach job {Job}: {Message}", Partition, jobId, ex.Message);
        }
    }

    /// <summary>A write whose answer was lost (storage went away mid-request) leaves this activation's ETag behind the
    /// stored one, and every later write would fail. The next activation starts from what is stored; the callers of the
    /// failed writes got errors and retry against it.</summary>
    private void RestartFromStorage(Exception ex)
    {
        _logger.LogWarning("Partition {Partition}: stored state changed under this activation ({Message}); reactivating from storage", Partition, ex.Message);
        DeactivateOnIdle();
    }

    private Task SaveIf(bool changed) => changed || _unsaved ? SaveState() : Task.CompletedTask;

    /// <summary>Completes when a write that started after this call has stored the state.</summary>
    private Task SaveState()
    {
        _nextWrite ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stored = _nextWrite.Task;
        if (!_writing) _ = WriteLoopAsync();
        return stored;
    }

    private async Task WriteLoopAsync()
    {
        _writing = true;
        try
        {
            while (_nextWrite is { } batch)
            {
                _nextWrite = null;
                _unsaved = false;
                try
                {
                    await _state.WriteStateAsync();
                    batch.SetResult();
                }
                catch (Exception ex)
                {
                    if (ex is InconsistentStateException) RestartFromStorage(ex);
                    else _unsaved = true;
                    batch.SetException(ex);
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }
}
