namespace HiStream.Grains.Queue;

/// <summary>One partition's persisted queue: a cursor per job over its stripe, the retries waiting, and the leases in
/// flight. Its size is bounded by (jobs with work in the partition) + (items that failed or came back) + (leases), never
/// by a job's item count. Lease renewals are not persisted (see <see cref="QueuePartition"/>).</summary>
[GenerateSerializer, Alias("histream.QueuePartitionState")]
public sealed class QueuePartitionState
{
    [Id(0)] public List<PartitionJob> Jobs { get; set; } = [];
    [Id(1)] public Dictionary<string, LeaseRecord> Leases { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public long NextSequence { get; set; }
    [Id(3)] public long NextLeaseNumber { get; set; }
    /// <summary>Item outcomes stored with their lease's end (or decided here), kept until their job acknowledges them.</summary>
    [Id(4)] public List<PendingOutcome> Outbox { get; set; } = [];
    [Id(5)] public long NextOutcomeSequence { get; set; }
}

[GenerateSerializer, Alias("histream.PendingOutcome")]
public sealed class PendingOutcome
{
    [Id(0)] public string JobId { get; set; } = "";
    [Id(1)] public long Sequence { get; set; }
    [Id(2)] public HiStream.Abstractions.Videos.VideoReport Report { get; set; } = null!;
}

[GenerateSerializer, Alias("histream.PartitionJob")]
public sealed class PartitionJob
{
    [Id(0)] public string JobId { get; set; } = "";
    [Id(1)] public int Generation { get; set; }
    [Id(2)] public int Priority { get; set; }
    /// <summary>Submission order: the tie-break after fair share.</summary>
    [Id(3)] public long Sequence { get; set; }
    /// <summary>Items handed out so far, as the fair-share clock: the job with the smallest value goes next within a
    /// priority. A job that joins starts at the smallest value of its priority, so it neither waits for nor starves the rest.</summary>
    [Id(4)] public double VirtualTime { get; set; }
    /// <summary>Next never-leased item of this partition's stripe; the stripe is NextIndex, NextIndex + Stride, … &lt; ItemCount.</summary>
    [Id(5)] public int NextIndex { get; set; }
    [Id(6)] public int Stride { get; set; } = 1;
    [Id(7)] public int ItemCount { get; set; }
    [Id(8)] public long RequiredBytes { get; set; }
    /// <summary>Items to run again (failed attempts after their backoff, expired or returned leases); served before the cursor.</summary>
    [Id(9)] public List<RetryEntry> Retries { get; set; } = [];
    [Id(10)] public bool Paused { get; set; }
    [Id(11)] public DateTimeOffset? Deadline { get; set; }
    /// <summary>Cancelled or past its deadline: nothing more is handed out; leases still out end normally.</summary>
    [Id(12)] public DropKind Dropped { get; set; }

    public bool HasPending => Dropped == DropKind.None && (Retries.Count > 0 || NextIndex < ItemCount);

    public long PendingCount => Dropped != DropKind.None ? 0 : Retries.Count + (NextIndex < ItemCount ? (ItemCount - 1 - NextIndex) / Stride + 1 : 0);
}

public enum DropKind
{
    None = 0,
    Cancelled = 1,
    Deadline = 2,
}

[GenerateSerializer, Alias("histream.RetryEntry")]
public sealed class RetryEntry
{
    [Id(0)] public int ItemIndex { get; set; }
    /// <summary>The attempt number its next lease gets.</summary>
    [Id(1)] public int Attempt { get; set; } = 1;
    /// <summary>Backoff: not handed out before this.</summary>
    [Id(2)] public DateTimeOffset NotBefore { get; set; }
}

[GenerateSerializer, Alias("histream.LeaseRecord")]
public sealed class LeaseRecord
{
    [Id(0)] public string LeaseId { get; set; } = "";
    [Id(1)] public string JobId { get; set; } = "";
    [Id(2)] public int ItemIndex { get; set; }
    [Id(3)] public string Silo { get; set; } = "";
    /// <summary>Persisted when granted; renewals move it in memory only.</summary>
    [Id(4)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(5)] public int Attempt { get; set; } = 1;
    [Id(6)] public int Generation { get; set; }
}
