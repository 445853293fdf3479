using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Queue;

/// <summary>One queue partition (see <see cref="QueuePartition"/> for the rules). Its state is small (one cursor per
/// job, the retries, its leases) and is written only when a lease is granted or ended, a job is added, changed or
/// dropped, or a lease expires; renewals are in memory.</summary>
public sealed class QueuePartitionGrain : Grain, IQueuePartitionGrain
{
    private readonly IPersistentState<QueuePartitionState> _state;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueuePartitionGrain> _logger;
    private QueuePartition _queue = null!;

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
        await SaveIf(changed || leases.Count > 0);
        return leases.ToArray();
    }

    public Task<bool> RenewAsync(string leaseId) => Task.FromResult(_queue.Renew(leaseId, _time.GetUtcNow()));

    public async Task EndLeaseAsync(LeaseEnd end)
    {
        var (changed, report) = _queue.End(end, _time.GetUtcNow());
        await SaveIf(changed);
        if (report is not null) await TellJobsAsync([report]);
    }

    public Task ControlJobAsync(JobControl control) => SaveIf(_queue.Control(control));

    public Task DropJobAsync(string jobId, int generation, bool cancelled) => SaveIf(_queue.DropJob(jobId, generation, cancelled));

    public Task<QueueSnapshot> GetSnapshotAsync() => Task.FromResult(_queue.Snapshot(_time.GetUtcNow()));

    private async Task SweepAsync(CancellationToken cancellationToken) => await SaveIf(await ApplyDeadlinesAndExpiryAsync(_time.GetUtcNow()));

    /// <summary>Ends what is due: jobs past their deadline (their jobs are told) and expired leases (requeued or failed).</summary>
    private async Task<bool> ApplyDeadlinesAndExpiryAsync(DateTimeOffset now)
    {
        var deadlines = _queue.CheckDeadlines(now);
        var (expired, reports) = _queue.ExpireLeases(now);
        if (deadlines.Count > 0 || reports.Count > 0)
        {
            await _state.WriteStateAsync(); // durable before the jobs are told
            foreach (var (jobId, generation) in deadlines)
                await TryAsync(jobId, () => GrainFactory.GetGrain<IJobGrain>(jobId).DeadlinePassedAsync(generation));
            await TellJobsAsync(reports);
            return false;
        }
        return expired;
    }

    private async Task TellJobsAsync(IEnumerable<QueueReport> reports)
    {
        foreach (var r in reports)
        {
            _logger.LogWarning("Partition {Partition}: job {Job} item {Item} ends here: {Message}", Partition, r.JobId, r.ItemIndex, r.Message);
            var report = new VideoReport(r.ItemIndex, VideoKey.DefaultVideoId(r.JobId, r.ItemIndex), r.Cancelled ? ProgressKind.Cancelled : ProgressKind.Failed, 0, 0, 0, null, r.Message)
            {
                Attempt = r.Attempt,
                Generation = r.Generation,
                FromQueue = true,
            };
            await TryAsync(r.JobId, () => GrainFactory.GetGrain<IJobGrain>(r.JobId).QueueEndedItemAsync(report));
        }
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

    private Task SaveIf(bool changed) => changed ? _state.WriteStateAsync() : Task.CompletedTask;
}
