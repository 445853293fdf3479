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
    /// <summary>Failed items as a state written before <see cref="FailedRanges"/> held them; moved there on activation.</summary>
    [Id(6)] public SortedSet<int> FailedItems { get; set; } = [];
    [Id(8)] public DateTimeOffset? StartedAt { get; set; }
    [Id(9)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(10)] public long ChunksDone { get; set; }
    [Id(11)] public int ChunksPerVideo { get; set; }
    [Id(12)] public long RequiredBytes { get; set; }
    /// <summary>Bumped when a cancelled job is submitted again; reports of older generations are not counted.</summary>
    [Id(13)] public int Generation { get; set; }
    /// <summary>Items whose outcome has been counted in this generation (ranges): a second report is a duplicate.</summary>
    [Id(14)] public RangeSet Ended { get; set; } = new();
    /// <summary>Items started and not ended: item → attempt (at most the farm's slots).</summary>
    [Id(15)] public Dictionary<int, int> InFlight { get; set; } = [];
    /// <summary>Set when the job was cancelled or its deadline passed: what was not in flight then was counted at once.</summary>
    [Id(16)] public JobDrop Drop { get; set; }
    /// <summary>After a drop, the items that were in flight: only their reports still count.</summary>
    [Id(17)] public HashSet<int> AwaitingAfterDrop { get; set; } = [];
    /// <summary>Error and attempts of the first failed items (at most <c>Farm:FailedErrorsKept</c>).</summary>
    [Id(18)] public Dictionary<int, ItemError> Errors { get; set; } = [];
    [Id(19)] public bool Paused { get; set; }
    [Id(20)] public int Priority { get; set; }
    [Id(21)] public DateTimeOffset? Deadline { get; set; }
    /// <summary>Items failed by the deadline without ever starting (not listed one by one in <see cref="FailedItems"/>).</summary>
    [Id(22)] public int DeadlineFailed { get; set; }
    /// <summary>Queue partitions the job's items are striped over (fixed at submit).</summary>
    [Id(23)] public int Partitions { get; set; }
    /// <summary>Device seconds of the completed videos.</summary>
    [Id(30)] public double GpuSeconds { get; set; }
    /// <summary>Every partition took the job's items. Until then a repeated submit or a new activation enqueues them again
    /// (partitions ignore a generation they already have), so a submit that failed half-way is never stuck.</summary>
    [Id(31)] public bool Enqueued { get; set; }
    /// <summary>Failed items whose error was not kept (beyond <c>Farm:FailedErrorsKept</c>; <see cref="Errors"/> holds the first ones).</summary>
    [Id(32)] public int ErrorsNotKept { get; set; }
    /// <summary>How many times this generation finished (a retry of failed items can finish it again).</summary>
    [Id(33)] public int Finishes { get; set; }
    /// <summary>The finish whose actions (contact sheet, webhook) have run; below <see cref="Finishes"/>, they are due
    /// and a reminder holds the job until they have.</summary>
    [Id(34)] public int FinishActionsDone { get; set; }
    /// <summary>Items that failed for good, waiting for a retry, as ranges: a job whose every video fails keeps a few
    /// ranges, not one entry per item.</summary>
    [Id(35)] public RangeSet FailedRanges { get; set; } = new();
}

public enum JobDrop
{
    None = 0,
    Cancelled = 1,
    Deadline = 2,
}

[GenerateSerializer, Alias("histream.ItemError")]
public sealed class ItemError
{
    [Id(0)] public string Message { get; set; } = "";
    [Id(1)] public int Attempts { get; set; }
    [Id(2)] public string? VideoId { get; set; }
}
