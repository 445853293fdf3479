namespace HiStream.Abstractions.Jobs;

/// <summary>Counts per item outcome, overall progress (0..1, finished chunks of running videos included) and an ETA
/// from the job's own throughput.</summary>
[GenerateSerializer, Immutable, Alias("histream.JobStatus")]
public sealed record JobStatus(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobState State,
    [property: Id(2)] int Priority,
    [property: Id(3)] string[] Tags,
    [property: Id(4)] int Total,
    [property: Id(5)] int Rendering,
    [property: Id(6)] int Completed,
    [property: Id(7)] int Skipped,
    [property: Id(8)] int Failed,
    [property: Id(9)] int Cancelled,
    [property: Id(10)] double Progress,
    [property: Id(11)] TimeSpan? Eta,
    [property: Id(12)] DateTimeOffset? SubmittedAt,
    [property: Id(13)] DateTimeOffset? StartedAt,
    [property: Id(14)] DateTimeOffset? FinishedAt,
    [property: Id(15)] OutputLocation? Output)
{
    /// <summary>Device seconds of the job's completed videos (see the results manifest for each video's).</summary>
    [Id(24)] public double GpuSeconds { get; init; }
    /// <summary>Paused: no new videos of this job start; running ones finish.</summary>
    [Id(20)] public bool Paused { get; init; }
    /// <summary>Items not started by then fail.</summary>
    [Id(21)] public DateTimeOffset? Deadline { get; init; }
    /// <summary>Submissions of this job id (a cancelled job submitted again starts a new generation).</summary>
    [Id(22)] public int Generation { get; init; }
    /// <summary>The tenant that owns the job (null: no tenant).</summary>
    [Id(23)] public string? Tenant { get; init; }

    public int Queued => Math.Max(0, Total - Rendering - Completed - Skipped - Failed - Cancelled);
    /// <summary>Every item has ended (a cancelled job finishes once its rendering videos have stopped).</summary>
    public bool IsFinished => FinishedAt is not null;
}
