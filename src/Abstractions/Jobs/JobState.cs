namespace HiStream.Abstractions.Jobs;

public enum JobState
{
    /// <summary>No job with this id was submitted.</summary>
    Unknown = 0,
    Queued = 1,
    Running = 2,
    Completed = 3,
    /// <summary>Every item ended, and at least one failed (retry it with retry).</summary>
    CompletedWithFailures = 4,
    Cancelled = 5,
}
