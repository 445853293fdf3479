using Orleans.Concurrency;

namespace HiStream.Abstractions.Tenants;

/// <summary>The jobs of one tenant (key: the tenant name, <see cref="NoTenant"/> for jobs submitted without one), so
/// the gateway can list them and count what the tenant has queued against its quotas without scanning the farm.</summary>
[Alias("histream.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>The key of the jobs that no tenant owns (embedded CLI, anonymous gateway, admin).</summary>
    public const string NoTenant = "_";

    /// <summary>Records a job (idempotent); it counts as active until <see cref="MarkFinishedAsync"/>.
    /// <paramref name="submittedAt"/>: when the job was first submitted (null: now), which tells a new job from an old one.</summary>
    [Alias("AddJob")]
    Task AddJobAsync(string jobId, DateTimeOffset? submittedAt = null);

    /// <summary>Job ids, newest first (paged).</summary>
    [AlwaysInterleave, Alias("GetJobs")]
    Task<string[]> GetJobsAsync(int skip, int take);

    /// <summary>How many jobs the tenant has (what <see cref="GetJobsAsync"/> pages over).</summary>
    [AlwaysInterleave, Alias("GetJobCount")]
    Task<int> GetJobCountAsync();

    /// <summary>The jobs not yet known to be finished.</summary>
    [AlwaysInterleave, Alias("GetActiveJobs")]
    Task<string[]> GetActiveJobsAsync();

    [Alias("MarkFinished")]
    Task MarkFinishedAsync(string[] jobIds);

    /// <summary>Lets one submission of the tenant at a time count its quota, so parallel submits cannot each see the
    /// room that only one of them may fill. True when <paramref name="ticket"/> holds the turn, now until
    /// <paramref name="hold"/> from now (calling again with the same ticket renews it); false while another ticket
    /// holds it. In memory: a turn ends with its hold, its <see cref="LeaveSubmitAsync"/> or the grain's activation.</summary>
    [Alias("TryEnterSubmit")]
    Task<bool> TryEnterSubmitAsync(string ticket, TimeSpan hold);

    [Alias("LeaveSubmit")]
    Task LeaveSubmitAsync(string ticket);
}
