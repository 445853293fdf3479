namespace HiStream.Abstractions.Videos;

public enum StartOutcome
{
    /// <summary>Rendering began on the requesting silo; the silo's slot stays taken until the video reports its end.</summary>
    Started = 0,
    /// <summary>The video is already rendering (on the named silo); the requester should release its slot.</summary>
    AlreadyRunning = 1,
    /// <summary>Its outputs already exist (a resubmitted job): nothing is rendered or written.</summary>
    AlreadyFinished = 2,
    /// <summary>The video or its job was cancelled.</summary>
    Cancelled = 3,
    /// <summary>The activation lives on another silo; the requester should return the lease and try again.</summary>
    WrongSilo = 4,
    /// <summary>It could not start (bad manifest entry, missing job); the item is marked failed.</summary>
    Failed = 5,
}

[GenerateSerializer, Immutable, Alias("histream.StartResult")]
public sealed record StartResult([property: Id(0)] StartOutcome Outcome, [property: Id(1)] string? Detail);
