namespace HiStream.Abstractions.Queue;

/// <summary>What the queue dropped when a job was cancelled: the never-leased range [RangeStart, RangeEnd) and
/// queued retries. Leased items are not in it; their videos report their own end.</summary>
[GenerateSerializer, Immutable, Alias("histream.CancelledWork")]
public sealed record CancelledWork(
    [property: Id(0)] int RangeStart,
    [property: Id(1)] int RangeEnd,
    [property: Id(2)] int[] Retries);
