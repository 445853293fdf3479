namespace HiStream.Abstractions.Queue;

/// <summary>A silo asking for work: at most <see cref="MaxVideos"/> items whose device-memory request fits
/// <see cref="FreeBytes"/> now. An item larger than <see cref="CapacityBytes"/> can never run on this silo and is left
/// for others; an item that fits the capacity but not the free memory stops the scan, so lower priorities never
/// overtake it on this silo.</summary>
[GenerateSerializer, Immutable, Alias("histream.LeaseRequest")]
public sealed record LeaseRequest(
    [property: Id(0)] string Silo,
    [property: Id(1)] int MaxVideos,
    [property: Id(2)] long FreeBytes,
    [property: Id(3)] long CapacityBytes);
