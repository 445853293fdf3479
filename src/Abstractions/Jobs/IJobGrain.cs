using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using Orleans.Concurrency;

namespace HiStream.Abstractions.Jobs;

/// <summary>One job, keyed by job id. Holds counters, the set of ended items as ranges and a bounded set of failed
/// items, never one entry per item, so a million-item job is one small grain; the items themselves live in the
/// manifest pages in blob storage and are striped over the queue partitions.</summary>
[Alias("histream.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    [Alias("Submit")]
    Task<SubmitResult> SubmitAsync(JobDefinition definition);

    [AlwaysInterleave, Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    [AlwaysInterleave, Alias("GetDefinition")]
    Task<JobDefinition?> GetDefinitionAsync();

    [Alias("Cancel")]
    Task<JobStatus> CancelAsync();

    /// <summary>Queues the failed items again with a fresh attempt budget; returns how many.</summary>
    [Alias("RetryFailed")]
    Task<int> RetryFailedAsync();

    /// <summary>Failed item indices, in order (paged).</summary>
    [AlwaysInterleave, Alias("GetFailedItems")]
    Task<int[]> GetFailedItemsAsync(int skip, int take);

    /// <summary>Failed items with the error of their last attempt (paged).</summary>
    [AlwaysInterleave, Alias("GetFailures")]
    Task<FailedItemsPage> GetFailuresAsync(int skip, int take);

    /// <summary>Paused: the queue hands out no more of its items until resumed; running videos finish.</summary>
    [Alias("SetPaused")]
    Task<JobStatus> SetPausedAsync(bool paused);

    [Alias("SetPriority")]
    Task<JobStatus> SetPriorityAsync(int priority);

    /// <summary>Items that have not started by <paramref name="deadline"/> fail (null: no deadline).</summary>
    [Alias("SetDeadline")]
    Task<JobStatus> SetDeadlineAsync(DateTimeOffset? deadline);

    /// <summary>From the job's video grains. Idempotent per item and attempt: an item's outcome is counted once.
    /// Returns false when the video should stop (job cancelled, item dropped by a deadline, older generation).</summary>
    [Alias("Report")]
    Task<bool> ReportAsync(VideoReport report);

    /// <summary>From a video: progress or an outcome, one-way so a video never waits on its job. Counted like
    /// <see cref="ReportAsync"/> but written behind (coalesced); the outcome's durable copy travels with the lease's end
    /// through the queue partition (<see cref="DeliverOutcomesAsync"/>).</summary>
    [OneWay, Alias("Notify")]
    Task NotifyAsync(VideoReport report);

    /// <summary>From a queue partition: outcomes it stored. The job counts them (idempotent), writes, and then
    /// acknowledges them to the partition (one-way both ways, so neither ever waits on the other).</summary>
    [OneWay, Alias("DeliverOutcomes")]
    Task DeliverOutcomesAsync(OutcomeBatch batch);

    /// <summary>From a queue partition: an item ended there (one-way, so a partition never waits on a job).</summary>
    [OneWay, Alias("QueueEndedItem")]
    Task QueueEndedItemAsync(VideoReport report);

    /// <summary>From a queue partition: the deadline passed (one-way).</summary>
    [OneWay, Alias("DeadlinePassed")]
    Task DeadlinePassedAsync(int generation);

    /// <summary>Waits up to <paramref name="wait"/> (capped well below the response timeout) for events after
    /// <paramref name="afterSequence"/>.</summary>
    [AlwaysInterleave, Alias("GetEvents")]
    Task<ProgressBatch> GetEventsAsync(long afterSequence, int maxEvents, TimeSpan wait);
}
