namespace HiStream.Abstractions.Queue;

/// <summary>A change to a queued job: its priority, paused or not, and its deadline (null: none).</summary>
[GenerateSerializer, Immutable, Alias("histream.JobControl")]
public sealed record JobControl(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Generation,
    [property: Id(2)] int Priority,
    [property: Id(3)] bool Paused,
    [property: Id(4)] DateTimeOffset? Deadline);
