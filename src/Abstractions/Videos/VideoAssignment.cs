using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;

namespace HiStream.Abstractions.Videos;

/// <summary>What a silo hands a video grain when it leased the video's item: the lease, the job and the item.</summary>
[GenerateSerializer, Immutable, Alias("histream.VideoAssignment")]
public sealed record VideoAssignment(
    [property: Id(0)] WorkLease Lease,
    [property: Id(1)] JobDefinition Job,
    [property: Id(2)] JobItem Item,
    [property: Id(3)] string RequesterSilo);
