namespace HiStream.Abstractions.Jobs;

public enum SubmitOutcome
{
    Accepted = 0,
    /// <summary>The same job (same id and manifest) was submitted before; nothing new was queued.</summary>
    AlreadySubmitted = 1,
    /// <summary>A job with this id exists with a different manifest.</summary>
    Conflict = 2,
}

[GenerateSerializer, Immutable, Alias("histream.SubmitResult")]
public sealed record SubmitResult([property: Id(0)] SubmitOutcome Outcome, [property: Id(1)] JobStatus Status);
