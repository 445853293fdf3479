namespace HiStream.Abstractions.Queue;

public enum LeaseOutcome
{
    /// <summary>The item ended for good (completed, skipped, cancelled, or failed on its last attempt).</summary>
    Done = 0,
    /// <summary>The attempt failed; the item is queued again after a backoff, or fails for good after its last attempt.</summary>
    Failed = 1,
    /// <summary>Given back unrendered (silo draining, activation elsewhere): queued again at the front, same attempt.</summary>
    Returned = 2,
}

/// <summary>A silo or video ending its lease on an item.</summary>
[GenerateSerializer, Immutable, Alias("histream.LeaseEnd")]
public sealed record LeaseEnd(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string JobId,
    [property: Id(2)] int ItemIndex,
    [property: Id(3)] LeaseOutcome Outcome,
    [property: Id(4)] string? Error)
{
    /// <summary>For <see cref="LeaseOutcome.Returned"/>: not handed out again before this much time has passed.</summary>
    [Id(5)] public TimeSpan RetryAfter { get; init; }

    /// <summary>The item's final outcome, stored by the partition with the lease's end (one write) and delivered to the
    /// job until the job acknowledges it: an outcome is durable before the lease is released.</summary>
    [Id(6)] public Videos.VideoReport? Final { get; init; }
}
