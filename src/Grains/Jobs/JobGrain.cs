using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Rendering;
using HiStream.Grains.Results;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Jobs;

/// <summary>A job: its definition, counters per outcome and progress events. Items are queued as a range (see
/// <see cref="IWorkQueueGrain"/>), so submitting a million items is one call and one small state.</summary>
public sealed class JobGrain : Grain, IJobGrain
{
    private static readonly TimeSpan MaxEventWait = TimeSpan.FromSeconds(15);
    private readonly IPersistentState<JobGrainState> _state;
    private readonly IRenderCostModel _cost;
    private readonly TimeProvider _time;
    private readonly ILogger<JobGrain> _logger;
    private readonly ProgressLog _events = new(2048);
    private readonly JobEventWriter _writer;
    private readonly JobFinishActions _finishActions;
    private readonly Dictionary<int, (string VideoId, int Done, int Total)> _rendering = [];

    public JobGrain([PersistentState("job", FarmStorage.Name)] IPersistentState<JobGrainState> state, IRenderCostModel cost, TimeProvider time, ILogger<JobGrain> logger,
        IBlobStore blobs, IOptions<FarmOptions> options, JobFinishActions finishActions)
    {
        _finishActions = finishActions;
        _state = state;
        _cost = cost;
        _time = time;
        _logger = logger;
        _writer = new JobEventWriter(_events, new ProgressJournal(blobs, options.Value.JobsContainer, this.GetPrimaryKeyString()), logger);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken) => _writer.RestoreAsync(cancellationToken);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    private string JobId => this.GetPrimaryKeyString();
    private JobGrainState S => _state.State;
    private IWorkQueueGrain Queue => GrainFactory.GetGrain<IWorkQueueGrain>(IWorkQueueGrain.DefaultKey);

    public async Task<SubmitResult> SubmitAsync(JobDefinition definition)
    {
        if (definition.JobId != JobId) throw new ArgumentException($"Definition is for job '{definition.JobId}', this grain is '{JobId}'.");
        if (S.Definition is not null)
        {
            if (S.Definition.ManifestHash != definition.ManifestHash) return new SubmitResult(SubmitOutcome.Conflict, Status());
            if (S.State != JobState.Cancelled) return new SubmitResult(SubmitOutcome.AlreadySubmitted, Status());
        }

        // New, or a cancelled job submitted again: start over (finished videos are found in storage and skipped).
        var required = _cost.EstimateVideoBytes(definition.Footprint);
        _state.State = new JobGrainState { Definition = definition, State = JobState.Queued, RequiredBytes = required };
        await _state.WriteStateAsync();
        await Queue.EnqueueJobAsync(JobId, definition.Priority, definition.Manifest.ItemCount, required);
        _logger.LogInformation("Job {Job}: {Items} items queued at priority {Priority} ({Bytes} bytes per video)", JobId, definition.Manifest.ItemCount, definition.Priority, required);
        if (definition.Manifest.ItemCount == 0) await FinishIfDoneAsync();
        return new SubmitResult(SubmitOutcome.Accepted, Status());
    }

    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    public Task<JobDefinition?> GetDefinitionAsync() => Task.FromResult(S.State == JobState.Unknown ? null : S.Definition);

    public async Task<JobStatus> CancelAsync()
    {
        if (S.Definition is null || IsFinished) return Status();
        S.State = JobState.Cancelled;
        var dropped = await Queue.CancelJobAsync(JobId);
        // Items still in the queue are counted here; a video cancelled on its own while queued is counted when it
        // would have started, and the queue never hands out this job's items again, so nothing counts twice.
        int count = dropped.RangeEnd - dropped.RangeStart + dropped.Retries.Length;
        S.Cancelled += count;
        await _state.WriteStateAsync();
        Append(null, -1, ProgressKind.Cancelled, 0, 0, 0, null, $"job cancelled; {count} queued items dropped, {_rendering.Count} rendering videos stopping");
        // Running videos stop at their next chunk boundary and report Cancelled themselves.
        await Task.WhenAll(_rendering.Values.Select(r => GrainFactory.GetGrain<IVideoGrain>(VideoKey.GrainKey(JobId, r.VideoId)).CancelAsync()));
        await FinishIfDoneAsync();
        return Status();
    }

    public async Task<int> RetryFailedAsync()
    {
        if (S.Definition is null || S.State == JobState.Cancelled || S.FailedItems.Count == 0) return 0;
        var items = S.FailedItems.ToArray();
        S.FailedItems.Clear();
        S.Failed -= items.Length;
        S.State = JobState.Running;
        S.FinishedAt = null;
        await _state.WriteStateAsync();
        await Queue.EnqueueItemsAsync(JobId, S.Definition.Priority, S.RequiredBytes, items);
        Append(null, -1, ProgressKind.Started, 0, 0, 0, null, $"{items.Length} failed items queued again");
        return items.Length;
    }

    public Task<int[]> GetFailedItemsAsync(int skip, int take) => Task.FromResult(S.FailedItems.Skip(skip).Take(take).ToArray());

    public async Task<bool> ReportAsync(VideoReport report)
    {
        bool cancelled = S.State == JobState.Cancelled;
        switch (report.Kind)
        {
            case ProgressKind.Started:
                _rendering[report.ItemIndex] = (report.VideoId, report.ChunksDone, report.ChunksTotal);
                if (S.StartedAt is null || S.State == JobState.Queued)
                {
                    S.StartedAt ??= _time.GetUtcNow();
                    if (!cancelled) S.State = JobState.Running;
                    await _state.WriteStateAsync();
                }
                break;
            case ProgressKind.Chunk:
                _rendering[report.ItemIndex] = (report.VideoId, report.ChunksDone, report.ChunksTotal);
                S.ChunksDone++;
                S.ChunksPerVideo = report.ChunksTotal;
                break;
            case ProgressKind.Completed or ProgressKind.Skipped or ProgressKind.Failed or ProgressKind.Cancelled:
                _rendering.Remove(report.ItemIndex);
                if (report.Kind == ProgressKind.Completed)
                {
                    S.Completed++;
                    S.GpuSeconds += report.GpuSeconds;
                }
                else if (report.Kind == ProgressKind.Skipped) S.Skipped++;
                else if (report.Kind == ProgressKind.Cancelled) S.Cancelled++;
                else if (S.FailedItems.Add(report.ItemIndex)) S.Failed++;
                if (report.ChunksTotal > 0) S.ChunksPerVideo = report.ChunksTotal;
                await _state.WriteStateAsync();
                break;
        }
        Append(report.VideoId, report.ItemIndex, report.Kind, report.ChunksDone, report.ChunksTotal, report.ChunkSeconds, report.Silo, report.Message);
        await FinishIfDoneAsync();
        return !cancelled;
    }

    public async Task<ProgressBatch> GetEventsAsync(long afterSequence, int maxEvents, TimeSpan wait)
    {
        if (IsFinished) await _writer.FlushAsync(CancellationToken.None); // the jobfinished event is readable before the job says finished
        if (_events.DurableSequence <= afterSequence && !IsFinished && wait > TimeSpan.Zero)
            await _events.WaitAsync(wait < MaxEventWait ? wait : MaxEventWait);
        var events = await _writer.ReadAsync(afterSequence, Math.Clamp(maxEvents, 1, 1000));
        return new ProgressBatch(events, events.Length > 0 ? events[^1].Sequence : Math.Max(afterSequence, 0), Status());
    }

    private bool IsFinished => S.State is JobState.Completed or JobState.CompletedWithFailures || (S.State == JobState.Cancelled && Ended >= Total);

    private int Total => S.Definition?.Manifest.ItemCount ?? 0;
    private int Ended => S.Completed + S.Skipped + S.Failed + S.Cancelled;

    private async Task FinishIfDoneAsync()
    {
        if (S.Definition is null || S.FinishedAt is not null || Ended < Total) return;
        if (S.State != JobState.Cancelled) S.State = S.Failed > 0 ? JobState.CompletedWithFailures : JobState.Completed;
        S.FinishedAt = _time.GetUtcNow();
        // The event goes in before the write: a watcher that sees the job finished must also find this event.
        Append(null, -1, ProgressKind.JobFinished, 0, 0, 0, null, S.State.ToString());
        await _state.WriteStateAsync();
        _finishActions.JobFinished(S.Definition, Status());
        _logger.LogInformation("Job {Job} finished: {State} ({Completed} completed, {Skipped} skipped, {Failed} failed, {Cancelled} cancelled)", JobId, S.State, S.Completed, S.Skipped, S.Failed, S.Cancelled);
    }

    private void Append(string? videoId, int item, ProgressKind kind, int done, int total, double seconds, string? silo, string? message) =>
        _writer.Append(seq => new ProgressEvent(seq, JobId, videoId, item, kind, done, total, seconds, silo, message, _time.GetUtcNow()));

    private JobStatus Status()
    {
        var d = S.Definition;
        if (d is null) return new JobStatus(JobId, JobState.Unknown, 0, [], 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null);
        double inFlight = _rendering.Values.Sum(r => r.Total == 0 ? 0 : (double)r.Done / r.Total);
        double progress = Total == 0 ? 1 : Math.Min(1, (S.Completed + S.Skipped + S.Failed + S.Cancelled + inFlight) / Total);
        return new JobStatus(JobId, S.State, d.Priority, d.Tags, Total, _rendering.Count, S.Completed, S.Skipped, S.Failed, S.Cancelled,
            progress, Eta(inFlight), d.SubmittedAt, S.StartedAt, S.FinishedAt, d.Output) { GpuSeconds = Math.Round(S.GpuSeconds, 3) };
    }

    /// <summary>Remaining chunks over the job's own chunk throughput since it started.</summary>
    private TimeSpan? Eta(double inFlightVideos)
    {
        if (S.FinishedAt is not null) return TimeSpan.Zero;
        if (S.StartedAt is null || S.ChunksDone == 0 || S.ChunksPerVideo == 0) return null;
        var elapsed = _time.GetUtcNow() - S.StartedAt.Value;
        double rate = S.ChunksDone / Math.Max(elapsed.TotalSeconds, 1e-3);
        double remainingVideos = Math.Max(0, Total - Ended - inFlightVideos);
        return TimeSpan.FromSeconds(remainingVideos * S.ChunksPerVideo / rate);
    }
}
