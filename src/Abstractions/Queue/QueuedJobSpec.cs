namespace HiStream.Abstractions.Queue;

/// <summary>A job's share of one partition. A job's items are striped over the partitions: item i lives in partition
/// (<see cref="Offset"/> + i) mod <see cref="Stride"/>, so each partition holds one cursor per job, never a list of items.</summary>
[GenerateSerializer, Immutable, Alias("histream.QueuedJobSpec")]
public sealed record QueuedJobSpec(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Generation,
    [property: Id(2)] int Priority,
    [property: Id(3)] int ItemCount,
    [property: Id(4)] int Stride,
    [property: Id(5)] int Offset,
    [property: Id(6)] long RequiredBytes,
    [property: Id(7)] bool Paused,
    [property: Id(8)] DateTimeOffset? Deadline)
{
    /// <summary>The partition of item <paramref name="itemIndex"/>.</summary>
    public static int PartitionOf(int offset, int stride, int itemIndex) => (int)(((long)offset + itemIndex) % stride);

    /// <summary>The first item index of this job in <paramref name="partition"/> (may be ≥ ItemCount: none there).</summary>
    public static int FirstItemIn(int offset, int stride, int partition) => ((partition - offset) % stride + stride) % stride;
}
