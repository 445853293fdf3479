using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;
using HiStream.Grains.Rendering;
using HiStream.Grains.Results;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace HiStream.Grains.Jobs;

/// <summary>A job: its definition, counters per outcome and progress events. Its items are striped over the queue
/// partitions as cursors (see <see cref="IQueuePartitionGrain"/>), so submitting a million items is one call per
/// partition and one small state. Outcomes are counted once per item: the set of ended items (as ranges) makes a
/// repeated or late report a no-op. Reports are written behind: progress and outcomes within
/// <c>Farm:JobFlushWindow</c> share one state write. An outcome's durable copy is at its queue partition (stored with
/// the lease's end), which sends it here until this grain acknowledges it after a write, so a lost message or a crash
/// before the write loses nothing.</summary>
public sealed class JobGrain : Grain, IJobGrain, IRemindable
{
    private const string FinishActionsReminder = "finish-actions";
    private static readonly TimeSpan MaxEventWait = TimeSpan.FromSeconds(15);
    private const int MaxErrorChars = 2000;
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(1);
    private readonly IPersistentState<JobGrainState> _state;
    private readonly IRenderCostModel _cost;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<JobGrain> _logger;
    private readonly ProgressLog _events = new(2048);
    private readonly JobEventWriter _writer;
    private readonly JobFinishActions _finishActions;
    private readonly Dictionary<int, (string VideoId, int Done, int Total, int Attempt)> _rendering = [];
    /// <summary>Outcomes counted in memory, by partition: acknowledged to it after the next state write.</summary>
    private readonly Dictionary<int, long> _acks = [];
    private int _unwrittenOutcomes;
    private bool _dirty;
    private bool _flushScheduled;
    private IGrainTimer? _flushTimer;
    private IGrainTimer? _deadlineTimer;
    /// <summary>The job finished in memory; its finish actions (contact sheet, webhook) run once that is stored.</summary>
    private bool _finishActionsDue;
    /// <summary>The finish actions this activation started, until they end.</summary>
    private Task? _finishActionsRun;

    public JobGrain([PersistentState("job", FarmStorage.Name)] IPersistentState<JobGrainState> state, IRenderCostModel cost, IOptions<FarmOptions> options,
        TimeProvider time, ILogger<JobGrain> logger, IBlobStore blobs, JobFinishActions finishActions, FarmRetry retry)
    {
        _finishActions = finishActions;
        _writer = new JobEventWriter(_events, new ProgressJournal(blobs, options.Value.JobsContainer, this.GetPrimaryKeyString()), retry, logger);
        _state = state;
        _cost = cost;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private string JobId => this.GetPrimaryKeyString();
    private JobGrainState Job => _state.State;
    private int Total => Job.Definition?.Manifest.ItemCount ?? 0;
    private int Ended => Job.Completed + Job.Skipped + Job.Failed + Job.Cancelled;
    private bool IsFinished => Job.FinishedAt is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.FailedItems.Count > 0) // a state written before failed items were kept as ranges; stored with the next write
        {
            foreach (var item in Job.FailedItems) Job.FailedRanges.Add(item);
            Job.FailedItems.Clear();
        }
        // Rebuild the in-flight view from the stored set, so status and cancel still reach running videos after a failover.
        foreach (var (item, attempt) in Job.InFlight) _rendering[item] = (ItemVideoId(item), 0, Job.ChunksPerVideo, attempt);
        // Reconcile: outcomes this grain missed (a lost message, a crash before its write) are still at the partitions.
        if (Job.Definition is not null && !IsFinished)
            foreach (var p in FarmQueue.PartitionsOf(JobId, Total, Job.Partitions)) _ = FarmQueue.Partition(GrainFactory, p).ResendOutcomesAsync(JobId);
        await _writer.RestoreAsync(cancellationToken); // event ids continue where the previous activation stopped
        WatchDeadline();
        if (FinishActionsPending) RunFinishActions(); // the silo that finished the job stopped before they ended
        if (Job.Definition is not null && !IsFinished && !Job.Enqueued)
        {
            try
            {
                await EnqueueAsync();
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Job {Job}: its items are not all queued yet ({Message}); the next submit or activation tries again", JobId, ex.Message);
            }
        }
    }

    /// <summary>Puts the job's items into its partitions (idempotent per generation) and records that it did.</summary>
    private async Task EnqueueAsync()
    {
        await ForPartitionsAsync(p => p.EnqueueJobAsync(Spec()));
        Job.Enqueued = true;
        MarkDirty();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Out of time: the events still unstored were never shown, and the job's own state below matters more.
        }
        finally
        {
            _writer.Stop();
        }
        if (!_dirty && _acks.Count == 0) return;
        try
        {
            await FlushAsync();
        }
        catch (Exception ex)
        {
            // The partitions still hold every unacknowledged outcome and send it to the next activation.
            _logger.LogWarning(ex, "Job {Job}: write on deactivation failed: {Message}", JobId, ex.Message);
        }
    }

    public async Task<SubmitResult> SubmitAsync(JobDefinition definition)
    {
        if (definition.JobId != JobId) throw new ArgumentException($"Definition is for job '{definition.JobId}', this grain is '{JobId}'.");
        if (Job.Definition is not null)
        {
            if (Job.Definition.ManifestHash != definition.ManifestHash) return new SubmitResult(SubmitOutcome.Conflict, Status());
            if (Job.State != JobState.Cancelled)
            {
                // A retried submit: the first one's write or queueing may have failed after the definition was taken.
                if (!Job.Enqueued && !IsFinished) await EnqueueAsync();
                if (_dirty) await FlushAsync();
                return new SubmitResult(SubmitOutcome.AlreadySubmitted, Status());
            }
        }

        // New, or a cancelled job submitted again: a new generation starts over. Finished videos find their outputs in
        // storage and report Skipped, cancelled ones render (resuming from their stored chunks), so it converges.
        var required = _cost.EstimateVideoBytes(definition.Footprint);
        int generation = Job.Definition is null ? 0 : Job.Generation + 1;
        _state.State = new JobGrainState
        {
            Definition = definition, State = JobState.Queued, RequiredBytes = required, Generation = generation, Priority = definition.Priority,
            Deadline = definition.Deadline, Partitions = Math.Max(1, _options.QueuePartitions),
        };
        _rendering.Clear();
        await FlushAsync();
        await EnqueueAsync();
        await FlushAsync(); // "queued" is stored: a restart now does not queue the items a second time
        WatchDeadline();
        _logger.LogInformation("Job {Job} (generation {Generation}): {Items} items queued at priority {Priority} over {Partitions} partitions ({Bytes} bytes per video)",
            JobId, generation, Total, definition.Priority, Job.Partitions, required);
        if (Total == 0) await FinishIfDoneAsync();
        return new SubmitResult(SubmitOutcome.Accepted, Status());
    }

    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    public Task<JobDefinition?> GetDefinitionAsync() => Task.FromResult(Job.State == JobState.Unknown ? null : Job.Definition);

    public async Task<JobStatus> CancelAsync()
    {
        if (Job.Definition is null || IsFinished) return Status();
        if (Job.State == JobState.Cancelled)
        {
            // A retried cancel: the first one's write or a partition's drop may have failed (both are idempotent).
            if (_dirty) await FlushAsync();
            await ForPartitionsAsync(p => p.DropJobAsync(JobId, Job.Generation, cancelled: true));
            return Status();
        }
        Job.State = JobState.Cancelled;
        int dropped = 0;
        if (Job.Drop == JobDrop.None)
        {
            // After a deadline the items that never started were counted already; only running videos remain.
            dropped = DropNotStarted();
            Job.Drop = JobDrop.Cancelled;
            Job.Cancelled += dropped;
        }
        await FlushAsync();
        Append(null, -1, ProgressKind.Cancelled, 0, 0, 0, null, $"job cancelled; {dropped} queued items dropped, {Job.AwaitingAfterDrop.Count} rendering videos stopping");
        await ForPartitionsAsync(p => p.DropJobAsync(JobId, Job.Generation, cancelled: true));
        // Running videos stop at their next chunk boundary and report Cancelled themselves.
        await Task.WhenAll(Job.AwaitingAfterDrop.Select(i => GrainFactory.GetGrain<IVideoGrain>(VideoKey.GrainKey(JobId, ItemVideoId(i))).CancelAsync()));
        await FinishIfDoneAsync();
        return Status();
    }

    public async Task DeadlinePassedAsync(int generation)
    {
        if (Job.Definition is null || generation != Job.Generation || Job.Drop != JobDrop.None || IsFinished) return;
        if (Job.Deadline is not { } deadline || deadline > _time.GetUtcNow()) return; // a deadline moved later meanwhile
        int dropped = DropNotStarted();
        Job.Drop = JobDrop.Deadline;
        Job.Failed += dropped;
        Job.DeadlineFailed = dropped;
        await FlushAsync();
        Append(null, -1, ProgressKind.Control, 0, 0, 0, null, $"deadline {deadline:O} passed: {dropped} items that had not started failed");
        await ForPartitionsAsync(p => p.DropJobAsync(JobId, Job.Generation, cancelled: false));
        await FinishIfDoneAsync();
    }

    public async Task<int> RetryFailedAsync()
    {
        // After a deadline the partitions drop whatever is queued again, so nothing would ever count the items.
        if (Job.Definition is null || Job.State == JobState.Cancelled || Job.Drop != JobDrop.None || Job.FailedRanges.Count == 0) return 0;
        var items = Job.FailedRanges.Items().ToArray();
        foreach (var i in items) Job.Ended.Remove(i);
        Job.FailedRanges.Clear();
        Job.Errors.Clear();
        Job.ErrorsNotKept = 0;
        Job.Failed -= items.Length;
        Job.State = JobState.Running;
        Job.FinishedAt = null;
        await FlushAsync();
        var byPartition = items.GroupBy(i => QueuedJobSpec.PartitionOf(Offset, Job.Partitions, i));
        await Task.WhenAll(byPartition.Select(g => FarmQueue.Partition(GrainFactory, g.Key).EnqueueItemsAsync(Spec(), g.ToArray())));
        Append(null, -1, ProgressKind.Started, 0, 0, 0, null, $"{items.Length} failed items queued again");
        return items.Length;
    }

    public Task<int[]> GetFailedItemsAsync(int skip, int take) => Task.FromResult(FailedIndices().Skip(skip).Take(take).ToArray());

    public Task<FailedItemsPage> GetFailuresAsync(int skip, int take)
    {
        var notKept = $"error not kept: a job keeps the errors of its first {_options.FailedErrorsKept} failed items ({Job.ErrorsNotKept} more were not kept)";
        var page = FailedIndices().Skip(skip).Take(take).Select(i => Job.Errors.TryGetValue(i, out var e) ? new FailedItem(i, e.VideoId ?? ItemVideoId(i), e.Message, e.Attempts)
            : Job.FailedRanges.Contains(i) ? new FailedItem(i, ItemVideoId(i), notKept, 0)
            : new FailedItem(i, ItemVideoId(i), $"deadline {Job.Deadline:O} passed before it started", 0)).ToArray();
        int total = (int)Job.FailedRanges.Count + Job.DeadlineFailed;
        return Task.FromResult(new FailedItemsPage(JobId, total, skip, page, skip + page.Length < total ? skip + page.Length : null, Job.ErrorsNotKept));
    }

    public Task<JobStatus> SetPausedAsync(bool paused) => ControlAsync(() => Job.Paused = paused, paused ? "paused" : "resumed");

    public Task<JobStatus> SetPriorityAsync(int priority) => ControlAsync(() => Job.Priority = priority, $"priority {priority}");

    public async Task<JobStatus> SetDeadlineAsync(DateTimeOffset? deadline)
    {
        await ControlAsync(() => Job.Deadline = deadline, deadline is null ? "deadline removed" : $"deadline {deadline:O}");
        if (deadline is { } d && d <= _time.GetUtcNow()) await DeadlinePassedAsync(Job.Generation);
        else WatchDeadline();
        return Status();
    }

    public async Task<bool> ReportAsync(VideoReport report)
    {
        var (answer, counted) = Apply(report);
        if (counted) await FlushAsync(); // a direct caller (no lease to carry the outcome) gets a durable count
        await FinishIfDoneAsync();
        return answer;
    }

    public async Task NotifyAsync(VideoReport report)
    {
        var (_, counted) = Apply(report);
        if (counted) await OutcomesCountedAsync(1);
        await FinishIfDoneAsync();
    }

    public async Task DeliverOutcomesAsync(OutcomeBatch batch)
    {
        int counted = 0;
        foreach (var report in batch.Reports)
        {
            if (report.FromQueue) counted += CountQueueOutcome(report) ? 1 : 0;
            else if (report.Kind is ProgressKind.Completed or ProgressKind.Skipped or ProgressKind.Failed or ProgressKind.Cancelled)
                counted += Apply(report).Counted ? 1 : 0;
        }
        _acks[batch.Partition] = Math.Max(batch.UpToSequence, _acks.GetValueOrDefault(batch.Partition));
        if (counted > 0) await OutcomesCountedAsync(counted);
        else if (!_dirty) await FlushAsync(); // everything counted is stored already: acknowledge at once
        else ScheduleFlush();
        await FinishIfDoneAsync();
    }

    /// <summary>Counts a report in memory. Answer: may the video go on; Counted: an outcome was counted now.</summary>
    private (bool Answer, bool Counted) Apply(VideoReport report)
    {
        if (Job.Definition is null || report.Generation != Job.Generation) return (false, false); // a video of an older submission: stop it
        int item = report.ItemIndex;
        bool counted = false;
        switch (report.Kind)
        {
            case ProgressKind.Started:
                if (Job.Ended.Contains(item) || (Job.Drop != JobDrop.None && !Job.AwaitingAfterDrop.Contains(item))) return (false, false);
                _rendering[item] = (report.VideoId, report.ChunksDone, report.ChunksTotal, report.Attempt);
                bool changed = !Job.InFlight.TryGetValue(item, out var known) || known != report.Attempt;
                Job.InFlight[item] = report.Attempt;
                if (Job.StartedAt is null || Job.State == JobState.Queued)
                {
                    Job.StartedAt ??= _time.GetUtcNow();
                    if (Job.State == JobState.Queued) Job.State = JobState.Running;
                    changed = true;
                }
                if (changed) MarkDirty();
                break;
            case ProgressKind.Chunk:
                if (Job.Ended.Contains(item)) return (false, false); // a late one-way chunk after the outcome
                if (_rendering.TryGetValue(item, out var r) && r.Attempt > report.Attempt) return (true, false); // a stale attempt
                _rendering[item] = (report.VideoId, report.ChunksDone, report.ChunksTotal, report.Attempt);
                Job.ChunksDone++;
                Job.ChunksPerVideo = report.ChunksTotal;
                break;
            case ProgressKind.Retrying:
                if (Job.Ended.Contains(item)) return (false, false);
                _rendering.Remove(item);
                break;
            case ProgressKind.Completed or ProgressKind.Skipped or ProgressKind.Failed or ProgressKind.Cancelled:
                if (!CountOutcome(report)) return (false, false);
                counted = true;
                break;
            default:
                return (MayContinue(item), false);
        }
        Append(report.VideoId, item, report.Kind, report.ChunksDone, report.ChunksTotal, report.ChunkSeconds, report.Silo, report.Message);
        return (MayContinue(item), counted);
    }

    /// <summary>A video of this job may go on rendering: the job is not cancelled, and no deadline dropped the item.</summary>
    private bool MayContinue(int item) => Job.State != JobState.Cancelled && (Job.Drop == JobDrop.None || Job.AwaitingAfterDrop.Contains(item));

    public async Task QueueEndedItemAsync(VideoReport report)
    {
        if (!CountQueueOutcome(report)) return;
        await FlushAsync();
        await FinishIfDoneAsync();
    }

    /// <summary>An item the queue ended (lease expired on its last attempt, job dropped while it was out).</summary>
    private bool CountQueueOutcome(VideoReport report)
    {
        if (Job.Definition is null || report.Generation != Job.Generation) return false;
        if (report.Kind is not (ProgressKind.Failed or ProgressKind.Cancelled) || !CountOutcome(report)) return false;
        Append(null, report.ItemIndex, report.Kind, 0, 0, 0, null, report.Message);
        return true;
    }

    public async Task<ProgressBatch> GetEventsAsync(long afterSequence, int maxEvents, TimeSpan wait)
    {
        if (IsFinished) await FlushEventsAsync(); // the jobfinished event is readable before the job says finished
        else _writer.RetryPending();
        if (_events.DurableSequence <= afterSequence && !IsFinished && wait > TimeSpan.Zero)
            await _events.WaitAsync(wait < MaxEventWait ? wait : MaxEventWait);
        var events = await _writer.ReadAsync(afterSequence, Math.Clamp(maxEvents, 1, 1000));
        return new ProgressBatch(events, events.Length > 0 ? events[^1].Sequence : Math.Max(afterSequence, 0), Status());
    }

    /// <summary>Waits for the pending events to be stored, for a while at most (storage may be out).</summary>
    private async Task FlushEventsAsync()
    {
        using var timeout = new CancellationTokenSource(MaxEventWait);
        try
        {
            await _writer.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }
    }

    /// <summary>Counts an item's final outcome once. After a drop only the items that were in flight still count.</summary>
    private bool CountOutcome(VideoReport report)
    {
        int item = report.ItemIndex;
        if (Job.Ended.Contains(item)) return false;
        if (Job.Drop != JobDrop.None && !Job.AwaitingAfterDrop.Remove(item)) return false; // counted when the job was dropped
        Job.Ended.Add(item);
        Job.InFlight.Remove(item);
        _rendering.Remove(item);
        switch (report.Kind)
        {
            case ProgressKind.Completed:
                Job.Completed++;
                Job.GpuSeconds += report.GpuSeconds;
                break;
            case ProgressKind.Skipped: Job.Skipped++; break;
            case ProgressKind.Cancelled: Job.Cancelled++; break;
            default:
                Job.Failed++;
                Job.FailedRanges.Add(item);
                var message = report.Message ?? "failed";
                if (Job.Errors.Count < Math.Max(0, _options.FailedErrorsKept))
                    Job.Errors[item] = new ItemError { Message = message.Length > MaxErrorChars ? message[..MaxErrorChars] : message, Attempts = report.Attempt, VideoId = report.VideoId };
                else Job.ErrorsNotKept++;
                break;
        }
        if (report.ChunksTotal > 0) Job.ChunksPerVideo = report.ChunksTotal;
        MarkDirty();
        return true;
    }

    /// <summary>Everything not ended and not in flight is dropped now; returns how many. The in-flight items end on their own.</summary>
    private int DropNotStarted()
    {
        Job.AwaitingAfterDrop = Job.InFlight.Keys.Where(i => !Job.Ended.Contains(i)).ToHashSet();
        return (int)(Total - Job.Ended.Count - Job.AwaitingAfterDrop.Count);
    }

    private async Task<JobStatus> ControlAsync(Action change, string what)
    {
        if (Job.Definition is null || IsFinished) return Status();
        change();
        await FlushAsync();
        var control = new JobControl(JobId, Job.Generation, Job.Priority, Job.Paused, Job.Deadline);
        await ForPartitionsAsync(p => p.ControlJobAsync(control));
        Append(null, -1, ProgressKind.Control, 0, 0, 0, null, what);
        return Status();
    }

    private IEnumerable<int> FailedIndices()
    {
        var explicitFailures = Job.FailedRanges.Items();
        if (Job.Drop != JobDrop.Deadline || Job.DeadlineFailed == 0) return explicitFailures;
        var neverStarted = Job.Ended.Complement(Total).Where(i => !Job.AwaitingAfterDrop.Contains(i)).Take(Job.DeadlineFailed);
        return explicitFailures.Concat(neverStarted);
    }

    private int Offset => FarmQueue.OffsetOf(JobId, Job.Partitions);

    private QueuedJobSpec Spec() =>
        new(JobId, Job.Generation, Job.Priority, Total, Job.Partitions, Offset, Job.RequiredBytes, Job.Paused, Job.Deadline);

    private Task ForPartitionsAsync(Func<IQueuePartitionGrain, Task> call) =>
        Task.WhenAll(FarmQueue.PartitionsOf(JobId, Total, Job.Partitions).Select(p => call(FarmQueue.Partition(GrainFactory, p))));

    private string ItemVideoId(int item) => _rendering.TryGetValue(item, out var r) && r.VideoId.Length > 0 ? r.VideoId
        : Job.Errors.TryGetValue(item, out var e) && e.VideoId is { } v ? v : VideoKey.DefaultVideoId(JobId, item);

    private async Task FinishIfDoneAsync()
    {
        if (Job.Definition is null || Job.FinishedAt is not null || Ended < Total) return;
        if (Job.State != JobState.Cancelled) Job.State = Job.Failed > 0 ? JobState.CompletedWithFailures : JobState.Completed;
        Job.FinishedAt = _time.GetUtcNow();
        Job.InFlight.Clear();
        // The event goes in before the write: a watcher that sees the job finished must also find this event.
        Append(null, -1, ProgressKind.JobFinished, 0, 0, 0, null, Job.State.ToString());
        Job.Finishes++;
        _finishActionsDue = true;
        await HoldFinishActionsReminderAsync(); // before the write: a stored finish always has its reminder
        await FlushAsync(); // runs the finish actions once stored; if this write fails, after the write that succeeds
    }

    private bool FinishActionsPending => IsFinished && Job.Definition is not null && Job.FinishActionsDone < Job.Finishes;

    private void RunFinishActions()
    {
        _finishActionsDue = false;
        if (_finishActionsRun is { IsCompleted: false } || !FinishActionsPending) return;
        int finish = Job.Finishes;
        var actions = _finishActions.JobFinished(Job.Definition!, Status(), Job.Generation, finish);
        _finishActionsRun = RecordFinishActionsAsync(actions, Job.Generation, finish);
        _logger.LogInformation("Job {Job} finished: {State} ({Completed} completed, {Skipped} skipped, {Failed} failed, {Cancelled} cancelled)", JobId, Job.State, Job.Completed, Job.Skipped, Job.Failed, Job.Cancelled);
    }

    /// <summary>Once the actions end, they are recorded done with the next write (a flush timer, not a write of its own:
    /// this continuation interleaves with the grain's calls). The reminder's next tick finds them done and goes.</summary>
    private async Task RecordFinishActionsAsync(Task actions, int generation, int finish)
    {
        DelayDeactivation(TimeSpan.FromMinutes(10)); // an idle deactivation would run them again elsewhere
        try
        {
            await actions;
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job}: finish actions failed ({Message})", JobId, ex.Message);
        }
        if (Job.Generation != generation || Job.FinishActionsDone >= finish) return;
        Job.FinishActionsDone = finish;
        _dirty = true;
        ScheduleFlush();
    }

    private async Task HoldFinishActionsReminderAsync()
    {
        try
        {
            var period = _options.FinishActionsRecheck > TimeSpan.Zero ? _options.FinishActionsRecheck : TimeSpan.FromMinutes(2);
            await this.RegisterOrUpdateReminder(FinishActionsReminder, period, period);
        }
        catch (Exception ex)
        {
            // Without it the actions are still run by this activation, and by the next one if this silo stops first.
            _logger.LogWarning(ex, "Job {Job}: no reminder for its finish actions ({Message})", JobId, ex.Message);
        }
    }

    /// <summary>While a finish's actions have not run, each tick runs them here unless this activation is already
    /// running them (the silo that started them stopped: they run again, with the same webhook delivery id).</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != FinishActionsReminder) return;
        if (FinishActionsPending)
        {
            RunFinishActions();
            return;
        }
        if (_dirty) return; // "done" is not stored yet: the next tick unregisters
        try
        {
            if (await this.GetReminder(FinishActionsReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job}: its finish-actions reminder could not be removed ({Message}); the next tick tries again", JobId, ex.Message);
        }
    }

    /// <summary>The job ends its own deadline too: the partitions' notice is one-way and checked against this silo's
    /// clock, so a lost or early notice would otherwise leave the never-started items uncounted.</summary>
    private void WatchDeadline()
    {
        if (Job.Deadline is not { } deadline || Job.Definition is null || Job.Drop != JobDrop.None || IsFinished)
        {
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
            return;
        }
        var due = deadline - _time.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (due > MaxTimerDue) due = MaxTimerDue; // checked again then
        var generation = Job.Generation;
        _deadlineTimer?.Dispose();
        _deadlineTimer = this.RegisterGrainTimer(async _ =>
        {
            if (Job.Deadline is { } d && d <= _time.GetUtcNow()) await DeadlinePassedAsync(generation);
            else WatchDeadline();
        }, due, Timeout.InfiniteTimeSpan);
    }

    private void MarkDirty()
    {
        _dirty = true;
        ScheduleFlush();
    }

    private async Task OutcomesCountedAsync(int count)
    {
        _unwrittenOutcomes += count;
        if (_unwrittenOutcomes >= Math.Max(1, _options.JobFlushBatch)) await FlushAsync();
        else ScheduleFlush();
    }

    private void ScheduleFlush()
    {
        if (_flushScheduled) return;
        _flushScheduled = true;
        var window = _options.JobFlushWindow > TimeSpan.Zero ? _options.JobFlushWindow : TimeSpan.FromMilliseconds(1);
        if (_flushTimer is null) _flushTimer = this.RegisterGrainTimer(FlushTimerAsync, window, Timeout.InfiniteTimeSpan);
        else _flushTimer.Change(window, Timeout.InfiniteTimeSpan);
    }

    private async Task FlushTimerAsync(CancellationToken cancellationToken)
    {
        if (!_dirty && _acks.Count == 0)
        {
            _flushScheduled = false;
            return;
        }
        try
        {
            await FlushAsync();
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            _logger.LogWarning(ex, "Job {Job}: state write failed ({Message}); trying again", JobId, ex.Message); // FlushAsync scheduled the next try
        }
        catch (InconsistentStateException)
        {
            // Deactivating (see FlushAsync): the next activation takes over.
        }
    }

    /// <summary>One state write for everything counted since the last one; then the partitions may forget the
    /// outcomes it covers (one-way acknowledgements).</summary>
    private async Task FlushAsync()
    {
        var acks = _acks.ToArray();
        _acks.Clear();
        _dirty = false;
        _flushScheduled = false;
        _unwrittenOutcomes = 0;
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            _dirty = true;
            if (ex is InconsistentStateException)
            {
                // A write whose answer was lost left this activation's ETag behind the stored one: every later write
                // would fail. The next activation reads what is stored and asks the partitions for what it lacks.
                _logger.LogWarning("Job {Job}: stored state changed under this activation ({Message}); reactivating from storage", JobId, ex.Message);
                DeactivateOnIdle();
            }
            foreach (var (p, upTo) in acks) _acks[p] = Math.Max(upTo, _acks.GetValueOrDefault(p));
            if (ex is not InconsistentStateException) ScheduleFlush(); // one-way callers (outcomes, notices) wait for no answer
            throw;
        }
        foreach (var (p, upTo) in acks) _ = FarmQueue.Partition(GrainFactory, p).AckOutcomesAsync(JobId, upTo);
        if (_finishActionsDue && IsFinished) RunFinishActions();
    }

    private void Append(string? videoId, int item, ProgressKind kind, int done, int total, double seconds, string? silo, string? message) =>
        _writer.Append(seq => new ProgressEvent(seq, JobId, videoId, item, kind, done, total, seconds, silo, message, _time.GetUtcNow()));

    private JobStatus Status()
    {
        var d = Job.Definition;
        if (d is null) return new JobStatus(JobId, JobState.Unknown, 0, [], 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null);
        double inFlight = _rendering.Values.Sum(r => r.Total == 0 ? 0 : (double)r.Done / r.Total);
        double progress = Total == 0 ? 1 : Math.Min(1, (Ended + inFlight) / Total);
        return new JobStatus(JobId, Job.State, Job.Priority, d.Tags, Total, _rendering.Count, Job.Completed, Job.Skipped, Job.Failed, Job.Cancelled,
            progress, Eta(inFlight), d.SubmittedAt, Job.StartedAt, Job.FinishedAt, d.Output)
        {
            Paused = Job.Paused,
            Deadline = Job.Deadline,
            Generation = Job.Generation,
            Tenant = d.Tenant,
            GpuSeconds = Math.Round(Job.GpuSeconds, 3),
        };
    }

    /// <summary>Remaining chunks over the job's own chunk throughput since it started.</summary>
    private TimeSpan? Eta(double inFlightVideos)
    {
        if (Job.FinishedAt is not null) return TimeSpan.Zero;
        if (Job.StartedAt is null || Job.ChunksDone == 0 || Job.ChunksPerVideo == 0) return null;
        var elapsed = _time.GetUtcNow() - Job.StartedAt.Value;
        double rate = Job.ChunksDone / Math.Max(elapsed.TotalSeconds, 1e-3);
        double remainingVideos = Math.Max(0, Total - Ended - inFlightVideos);
        return TimeSpan.FromSeconds(remainingVideos * Job.ChunksPerVideo / rate);
    }
}
