namespace HiStream.Bench.Checkpoints;

internal enum OutcomeKind
{
    Loaded,
    Refused,
    Crashed,
    Hung,
    MemoryRunaway,
}

/// <summary>How one child load ended. <paramref name="Detail"/> is the error line, exit status or limit hit.</summary>
internal sealed record ChildOutcome(OutcomeKind Kind, string Detail, LoadResult? Result, long PeakRssSeen, double WallSeconds);
