namespace HiStream.Abstractions.Jobs;

public enum ProgressKind
{
    Started = 0,
    Chunk = 1,
    Completed = 2,
    Skipped = 3,
    Failed = 4,
    Cancelled = 5,
    JobFinished = 6,
    /// <summary>An attempt failed; the item is queued again after a backoff (not counted as failed).</summary>
    Retrying = 7,
    /// <summary>The job was paused, resumed, given a new priority or deadline, or its deadline passed.</summary>
    Control = 8,
}

/// <summary>One step of a job: a video started, finished a chunk, or ended. Sequence numbers are per job and increase.</summary>
[GenerateSerializer, Immutable, Alias("histream.ProgressEvent")]
public sealed record ProgressEvent(
    [property: Id(0)] long Sequence,
    [property: Id(1)] string JobId,
    [property: Id(2)] string? VideoId,
    [property: Id(3)] int ItemIndex,
    [property: Id(4)] ProgressKind Kind,
    [property: Id(5)] int ChunksDone,
    [property: Id(6)] int ChunksTotal,
    [property: Id(7)] double ChunkSeconds,
    [property: Id(8)] string? Silo,
    [property: Id(9)] string? Message,
    [property: Id(10)] DateTimeOffset At);

/// <summary>Events after a sequence number, and the job status at the time of the answer.</summary>
[GenerateSerializer, Immutable, Alias("histream.ProgressBatch")]
public sealed record ProgressBatch(
    [property: Id(0)] ProgressEvent[] Events,
    [property: Id(1)] long LastSequence,
    [property: Id(2)] JobStatus Status);
