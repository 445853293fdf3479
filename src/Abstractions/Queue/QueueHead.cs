namespace HiStream.Abstractions.Queue;

/// <summary>The item a partition would hand out next to a given silo: a silo compares the heads of all partitions and
/// leases from the best one, so priority and fair share hold across partitions. Ordered by priority (higher first),
/// then the job's virtual time (fewer items served first: fair share), then submission order, then item index.</summary>
[GenerateSerializer, Immutable, Alias("histream.QueueHead")]
public sealed record QueueHead(
    [property: Id(0)] int Partition,
    [property: Id(1)] int Priority,
    [property: Id(2)] double VirtualTime,
    [property: Id(3)] long Sequence,
    [property: Id(4)] int ItemIndex,
    [property: Id(5)] long RequiredBytes) : IComparable<QueueHead>
{
    /// <summary>Negative when this head should be served before <paramref name="other"/>.</summary>
    public int CompareTo(QueueHead? other)
    {
        if (other is null) return -1;
        int c = other.Priority.CompareTo(Priority);
        if (c != 0) return c;
        c = VirtualTime.CompareTo(other.VirtualTime);
        if (c != 0) return c;
        c = Sequence.CompareTo(other.Sequence);
        return c != 0 ? c : ItemIndex.CompareTo(other.ItemIndex);
    }
}
