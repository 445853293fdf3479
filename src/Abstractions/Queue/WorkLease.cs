namespace HiStream.Abstractions.Queue;

/// <summary>One queue item handed to one silo. The silo renews it while the video runs; an expired lease returns
/// the item to the queue (its finished chunks are kept, so another silo resumes it).</summary>
[GenerateSerializer, Immutable, Alias("histream.WorkLease")]
public sealed record WorkLease(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string JobId,
    [property: Id(2)] int ItemIndex,
    [property: Id(3)] int Priority,
    [property: Id(4)] long RequiredBytes);
