using HiStream.Abstractions.Videos;
using Orleans.Concurrency;

namespace HiStream.Abstractions.Jobs;

/// <summary>One job, keyed by job id. Holds counters and a bounded set of failed items, never one entry per item,
/// so a million-item job is one small grain; the items themselves live in the manifest pages in blob storage.</summary>
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

    /// <summary>Queues the failed items again; returns how many.</summary>
    [Alias("RetryFailed")]
    Task<int> RetryFailedAsync();

    /// <summary>Failed item indices, in order (paged).</summary>
    [AlwaysInterleave, Alias("GetFailedItems")]
    Task<int[]> GetFailedItemsAsync(int skip, int take);

    /// <summary>From the job's video grains. Returns false when the job was cancelled: the video stops.</summary>
    [Alias("Report")]
    Task<bool> ReportAsync(VideoReport report);

    /// <summary>Waits up to <paramref name="wait"/> (capped well below the response timeout) for events after
    /// <paramref name="afterSequence"/>.</summary>
    [AlwaysInterleave, Alias("GetEvents")]
    Task<ProgressBatch> GetEventsAsync(long afterSequence, int maxEvents, TimeSpan wait);
}
