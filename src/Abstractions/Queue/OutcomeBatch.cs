using HiStream.Abstractions.Videos;

namespace HiStream.Abstractions.Queue;

/// <summary>Item outcomes a partition holds for a job until the job acknowledges them: the job counts each once, writes
/// its state, then acknowledges up to <see cref="UpToSequence"/>. Sent again until acknowledged, so a lost message or a
/// job that crashed before its write loses nothing.</summary>
[GenerateSerializer, Immutable, Alias("histream.OutcomeBatch")]
public sealed record OutcomeBatch(
    [property: Id(0)] int Partition,
    [property: Id(1)] long UpToSequence,
    [property: Id(2)] VideoReport[] Reports);
