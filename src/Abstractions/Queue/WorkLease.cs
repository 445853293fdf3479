namespace HiStream.Abstractions.Queue;

/// <summary>One queue item handed to one silo. The video renews it after each chunk; an expired lease returns the
/// item to its partition (its finished chunks are kept, so another silo resumes it). <see cref="Attempt"/> counts from
/// 1; after <see cref="MaxAttempts"/> failed or expired attempts the item fails for good.</summary>
[GenerateSerializer, Immutable, Alias("histream.WorkLease")]
public sealed record WorkLease(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string JobId,
    [property: Id(2)] int ItemIndex,
    [property: Id(3)] int Priority,
    [property: Id(4)] long RequiredBytes)
{
    [Id(5)] public int Attempt { get; init; } = 1;
    [Id(6)] public int MaxAttempts { get; init; } = 1;
    /// <summary>The job's submission generation (a cancelled job submitted again starts a new one).</summary>
    [Id(7)] public int Generation { get; init; }
    /// <summary>The queue partition that handed it out (where it is renewed and ended).</summary>
    [Id(8)] public int Partition { get; init; }

    /// <summary>This attempt is the item's last: a failure now is final.</summary>
    public bool IsLastAttempt => Attempt >= MaxAttempts;
}
