namespace HiStream.Abstractions.Videos;

public enum VideoState
{
    /// <summary>Not started yet (queued), or never submitted.</summary>
    Pending = 0,
    Rendering = 1,
    Completed = 2,
    Failed = 3,
    Cancelled = 4,
}
