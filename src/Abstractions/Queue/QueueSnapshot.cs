namespace HiStream.Abstractions.Queue;

[GenerateSerializer, Immutable, Alias("histream.QueueSnapshot")]
public sealed record QueueSnapshot(
    [property: Id(0)] int Jobs,
    [property: Id(1)] long PendingItems,
    [property: Id(2)] int LeasedItems,
    [property: Id(3)] Dictionary<int, long> PendingByPriority);
