using HiStream.Abstractions.Rendering;

namespace HiStream.Abstractions.Jobs;

/// <summary>One normalised manifest line: the item's index in the job, its video id and its settings.</summary>
[GenerateSerializer, Immutable, Alias("histream.JobItem")]
public sealed record JobItem(
    [property: Id(0)] int Index,
    [property: Id(1)] string VideoId,
    [property: Id(2)] RenderSettings Settings);
