namespace HiStream.Grains.Queue;

/// <summary>The persisted queue: one entry per job with pending items (a cursor, not a list of items), plus the
/// leases in flight (at most the cluster's slot count).</summary>
[GenerateSerializer, Alias("histream.WorkQueueState")]
public sealed class WorkQueueState
{
    [Id(0)] public List<QueuedJob> Jobs { get; set; } = [];
    [Id(1)] public Dictionary<string, LeaseRecord> Leases { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public long NextSequence { get; set; }
}

[GenerateSerializer, Alias("histream.QueuedJob")]
public sealed class QueuedJob
{
    [Id(0)] public string JobId { get; set; } = "";
    [Id(1)] public int Priority { get; set; }
    /// <summary>Submission order: first-come within a priority.</summary>
    [Id(2)] public long Sequence { get; set; }
    /// <summary>Next never-leased item; items [NextIndex, ItemCount) are pending.</summary>
    [Id(3)] public int NextIndex { get; set; }
    [Id(4)] public int ItemCount { get; set; }
    [Id(5)] public long RequiredBytes { get; set; }
    /// <summary>Items to run again (retried failures, expired or returned leases); served before the cursor.</summary>
    [Id(6)] public List<int> Retries { get; set; } = [];
    [Id(7)] public bool Cancelled { get; set; }

    public bool HasPending => !Cancelled && (Retries.Count > 0 || NextIndex < ItemCount);
    public long PendingCount => Cancelled ? 0 : Retries.Count + Math.Max(0, ItemCount - NextIndex);
}

[GenerateSerializer, Alias("histream.LeaseRecord")]
public sealed class LeaseRecord
{
    [Id(0)] public string LeaseId { get; set; } = "";
    [Id(1)] public string JobId { get; set; } = "";
    [Id(2)] public int ItemIndex { get; set; }
    [Id(3)] public string Silo { get; set; } = "";
    [Id(4)] public DateTimeOffset ExpiresAt { get; set; }
}
