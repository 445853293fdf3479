namespace HiStream.Abstractions.Queue;

[GenerateSerializer, Immutable, Alias("histream.QueueSnapshot")]
public sealed record QueueSnapshot(
    [property: Id(0)] int Jobs,
    [property: Id(1)] long PendingItems,
    [property: Id(2)] int LeasedItems,
    [property: Id(3)] Dictionary<int, long> PendingByPriority)
{
    /// <summary>Partitions that answered, and those that did not (their silo is down or busy); pending counts cover
    /// only the ones that answered.</summary>
    [Id(4)] public int Partitions { get; init; } = 1;
    [Id(5)] public int Unavailable { get; init; }
    /// <summary>Items waiting out a retry backoff.</summary>
    [Id(6)] public long Retrying { get; init; }

    public static QueueSnapshot Empty { get; } = new(0, 0, 0, []);

    public QueueSnapshot Plus(QueueSnapshot other)
    {
        var byPriority = new Dictionary<int, long>(PendingByPriority);
        foreach (var (p, n) in other.PendingByPriority) byPriority[p] = byPriority.GetValueOrDefault(p) + n;
        return new QueueSnapshot(Jobs + other.Jobs, PendingItems + other.PendingItems, LeasedItems + other.LeasedItems, byPriority)
        {
            Partitions = Partitions + other.Partitions,
            Unavailable = Unavailable + other.Unavailable,
            Retrying = Retrying + other.Retrying,
        };
    }
}
