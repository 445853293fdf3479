using HiStream.Abstractions.Jobs;

namespace HiStream.Grains.Jobs;

[GenerateSerializer, Alias("histream.JobGrainState")]
public sealed class JobGrainState
{
    [Id(0)] public JobDefinition? Definition { get; set; }
    [Id(1)] public JobState State { get; set; }
    [Id(2)] public int Completed { get; set; }
    [Id(3)] public int Skipped { get; set; }
    [Id(4)] public int Failed { get; set; }
    [Id(5)] public int Cancelled { get; set; }
    /// <summary>Failed items waiting for a retry; bounded by failures, not by the job size.</summary>
    [Id(6)] public SortedSet<int> FailedItems { get; set; } = [];
    [Id(8)] public DateTimeOffset? StartedAt { get; set; }
    [Id(9)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(10)] public long ChunksDone { get; set; }
    [Id(11)] public int ChunksPerVideo { get; set; }
    [Id(12)] public long RequiredBytes { get; set; }
    [Id(13)] public double GpuSeconds { get; set; }
}
