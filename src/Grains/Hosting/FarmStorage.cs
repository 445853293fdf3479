namespace HiStream.Grains.Hosting;

/// <summary>Names shared by the grains and the hosting code.</summary>
public static class FarmStorage
{
    /// <summary>The grain storage provider for the queue, jobs and video progress.</summary>
    public const string Name = "farm";
}
