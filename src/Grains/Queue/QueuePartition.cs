using HiStream.Abstractions.Queue;

namespace HiStream.Grains.Queue;

/// <summary>The rules of one queue partition over <see cref="QueuePartitionState"/>, apart from the grain so they can be
/// tested alone. Order: priority (higher first); within a priority, fair share (the job served least goes next: round
/// robin between jobs), then submission order; within a job, due retries before the cursor. Methods that change
/// durable state say so, so the grain writes only then. Lease renewals live in memory: a renewal moves the expiry
/// without a write, and after a reactivation every lease gets a fresh full duration.</summary>
public sealed class QueuePartition
{
    private readonly QueuePartitionState _state;
    private readonly QueueRules _rules;
    private readonly int _partition;

    public QueuePartition(QueuePartitionState state, QueueRules rules, int partition, DateTimeOffset now)
    {
        _state = state;
        _rules = rules;
        _partition = partition;
        foreach (var lease in _state.Leases.Values)
            if (lease.ExpiresAt < now + rules.LeaseDuration) lease.ExpiresAt = now + rules.LeaseDuration;
    }

    public QueuePartitionState State => _state;

    public bool AddJob(QueuedJobSpec spec)
    {
        var existing = Find(spec.JobId);
        if (existing is not null && existing.Generation >= spec.Generation) return false;
        if (existing is not null) _state.Jobs.Remove(existing);
        int first = QueuedJobSpec.FirstItemIn(spec.Offset, spec.Stride, _partition);
        if (first >= spec.ItemCount) return existing is not null;
        _state.Jobs.Add(new PartitionJob
        {
            JobId = spec.JobId,
            Generation = spec.Generation,
            Priority = spec.Priority,
            Sequence = _state.NextSequence++,
            VirtualTime = JoiningVirtualTime(spec.Priority),
            NextIndex = first,
            Stride = spec.Stride,
            ItemCount = spec.ItemCount,
            RequiredBytes = spec.RequiredBytes,
            Paused = spec.Paused,
            Deadline = spec.Deadline,
        });
        return true;
    }

    /// <summary>A user's retry: the items come back with a fresh attempt budget (items already queued or out are left).</summary>
    public bool AddItems(QueuedJobSpec spec, IEnumerable<int> items, DateTimeOffset now)
    {
        var job = Find(spec.JobId);
        if (job is not null && job.Generation > spec.Generation) return false;
        if (job is null || job.Generation < spec.Generation || job.Dropped != DropKind.None)
        {
            if (job is not null) _state.Jobs.Remove(job);
            job = new PartitionJob
            {
                JobId = spec.JobId, Generation = spec.Generation, Priority = spec.Priority, Sequence = _state.NextSequence++,
                VirtualTime = JoiningVirtualTime(spec.Priority), NextIndex = spec.ItemCount, Stride = spec.Stride, ItemCount = spec.ItemCount,
                RequiredBytes = spec.RequiredBytes, Paused = spec.Paused, Deadline = spec.Deadline,
            };
            _state.Jobs.Add(job);
        }
        bool changed = false;
        foreach (var item in items)
        {
            if (item < 0 || item >= job.ItemCount || QueuedJobSpec.PartitionOf(spec.Offset, spec.Stride, item) != _partition) continue;
            if (job.Retries.Any(r => r.ItemIndex == item) || IsLeased(job.JobId, item) || IsAheadOfCursor(job, item)) continue;
            job.Retries.Add(new RetryEntry { ItemIndex = item, Attempt = 1, NotBefore = now });
            changed = true;
        }
        RemoveFinishedJobs();
        return changed;
    }

    public QueueHead? Peek(LeaseRequest request, DateTimeOffset now)
    {
        var job = Best(request, now);
        return job is null ? null : new QueueHead(_partition, job.Priority, job.VirtualTime, job.Sequence, NextItem(job, now)!.Value, job.RequiredBytes);
    }

    public IReadOnlyList<WorkLease> Lease(LeaseRequest request, DateTimeOffset now)
    {
        var leases = new List<WorkLease>();
        int slots = request.MaxVideos;
        long free = request.FreeBytes;
        while (slots > 0 && Best(request, now) is { } job)
        {
            if (job.RequiredBytes > free) break; // fits later: wait for memory rather than let lower priorities pass
            int attempt = 1;
            int item;
            int due = job.Retries.FindIndex(r => r.NotBefore <= now);
            if (due >= 0)
            {
                item = job.Retries[due].ItemIndex;
                attempt = job.Retries[due].Attempt;
                job.Retries.RemoveAt(due);
            }
            else
            {
                item = job.NextIndex;
                job.NextIndex += job.Stride;
            }
            var record = new LeaseRecord
            {
                LeaseId = $"p{_partition}-{_state.NextLeaseNumber++}-{Guid.NewGuid().ToString("N")[..12]}",
                JobId = job.JobId, ItemIndex = item, Silo = request.Silo, ExpiresAt = now + _rules.LeaseDuration, Attempt = attempt, Generation = job.Generation,
            };
            _state.Leases[record.LeaseId] = record;
            job.VirtualTime += 1;
            leases.Add(new WorkLease(record.LeaseId, job.JobId, item, job.Priority, job.RequiredBytes)
            {
                Attempt = attempt, MaxAttempts = _rules.MaxAttempts, Generation = job.Generation, Partition = _partition,
            });
            free -= job.RequiredBytes;
            slots--;
        }
        return leases;
    }

    /// <summary>Leases that were granted but never reached their silo (the write that stored them failed): their items
    /// go back with the same attempt. Returns reports for items whose job was dropped meanwhile.</summary>
    public List<QueueReport> GiveBack(IEnumerable<WorkLease> leases, DateTimeOffset now)
    {
        var reports = new List<QueueReport>();
        foreach (var lease in leases)
        {
            if (!_state.Leases.Remove(lease.LeaseId, out var record)) continue;
            if (Requeue(record, record.Attempt, now, "grant not stored") is { } report) reports.Add(report);
        }
        RemoveFinishedJobs();
        return reports;
    }

    /// <summary>In memory only (no write): the lease runs one more lease duration from now. False for an unknown lease,
    /// and for a lease of a cancelled job, so its video stops at its next chunk even if the job's cancel call missed it.</summary>
    public bool Renew(string leaseId, DateTimeOffset now)
    {
        if (!_state.Leases.TryGetValue(leaseId, out var lease)) return false;
        if (Find(lease.JobId) is { Dropped: DropKind.Cancelled } job && job.Generation == lease.Generation) return false;
        lease.ExpiresAt = now + _rules.LeaseDuration;
        return true;
    }

    /// <summary>Ends a lease; an unknown lease (ended before, or expired) changes nothing. Returns whether the state
    /// changed, and a report for the job when the item ends here without its video having said so.</summary>
    public (bool Changed, QueueReport? Report) End(LeaseEnd end, DateTimeOffset now)
    {
        if (!_state.Leases.Remove(end.LeaseId, out var lease)) return (false, null);
        QueueReport? report = end.Outcome switch
        {
            LeaseOutcome.Done => null,
            LeaseOutcome.Returned => Requeue(lease, lease.Attempt, now + end.RetryAfter, "given back"),
            _ => lease.Attempt >= _rules.MaxAttempts
                ? null // the video reported its final failure itself
                : Requeue(lease, lease.Attempt + 1, now + _rules.BackoffBefore(lease.Attempt + 1), end.Error ?? "failed"),
        };
        RemoveFinishedJobs();
        return (true, report);
    }

    /// <summary>Leases whose video stopped making progress (its silo died or its device call hung) go back to the
    /// front of their job with the next attempt; after the last attempt the item fails.</summary>
    public (bool Changed, List<QueueReport> Reports) ExpireLeases(DateTimeOffset now)
    {
        var reports = new List<QueueReport>();
        var expired = _state.Leases.Values.Where(l => l.ExpiresAt <= now).ToList();
        foreach (var lease in expired)
        {
            _state.Leases.Remove(lease.LeaseId);
            var message = $"lease expired on attempt {lease.Attempt} of {_rules.MaxAttempts} (no progress within {_rules.LeaseDuration.TotalSeconds:F0} s: silo down or device stalled)";
            if (lease.Attempt >= _rules.MaxAttempts)
            {
                var job = Find(lease.JobId);
                if (job is null || job.Generation == lease.Generation)
                    reports.Add(new QueueReport(lease.JobId, lease.Generation, lease.ItemIndex, lease.Attempt, job?.Dropped == DropKind.Cancelled, message));
            }
            else if (Requeue(lease, lease.Attempt + 1, now, message) is { } report) reports.Add(report);
        }
        if (expired.Count > 0) RemoveFinishedJobs();
        return (expired.Count > 0, reports);
    }

    /// <summary>The silo's leases expire now (it is dead); the next <see cref="ExpireLeases"/> requeues them.</summary>
    public int ExpireSilo(string silo, DateTimeOffset now)
    {
        int count = 0;
        foreach (var lease in _state.Leases.Values.Where(l => l.Silo == silo))
        {
            lease.ExpiresAt = now;
            count++;
        }
        return count;
    }

    /// <summary>Jobs whose deadline passed stop handing out items; returns them so the job can count what never
    /// started, and the reports of the items that waited for a retry (the job counts those if it had them in flight).</summary>
    public (List<(string JobId, int Generation)> Jobs, List<QueueReport> Reports) CheckDeadlines(DateTimeOffset now)
    {
        var hits = new List<(string, int)>();
        var reports = new List<QueueReport>();
        foreach (var job in _state.Jobs)
        {
            if (job.Dropped != DropKind.None || job.Deadline is not { } deadline || deadline > now) continue;
            reports.AddRange(Drop(job, DropKind.Deadline));
            hits.Add((job.JobId, job.Generation));
        }
        if (hits.Count > 0) RemoveFinishedJobs();
        return (hits, reports);
    }

    public (bool Changed, List<QueueReport> Reports) DropJob(string jobId, int generation, bool cancelled)
    {
        var job = Find(jobId);
        if (job is null || job.Generation != generation || job.Dropped != DropKind.None) return (false, []);
        var reports = Drop(job, cancelled ? DropKind.Cancelled : DropKind.Deadline);
        RemoveFinishedJobs();
        return (true, reports);
    }

    public bool Control(JobControl control)
    {
        var job = Find(control.JobId);
        if (job is null || job.Generation != control.Generation) return false;
        if (job.Priority == control.Priority && job.Paused == control.Paused && job.Deadline == control.Deadline) return false;
        if (job.Priority != control.Priority) job.VirtualTime = JoiningVirtualTime(control.Priority);
        job.Priority = control.Priority;
        job.Paused = control.Paused;
        job.Deadline = control.Deadline;
        return true;
    }

    /// <summary>Stores an item's outcome for its job (durable with the partition's next write) until the job acknowledges it.</summary>
    public void AddOutcome(string jobId, HiStream.Abstractions.Videos.VideoReport report) =>
        _state.Outbox.Add(new PendingOutcome { JobId = jobId, Sequence = ++_state.NextOutcomeSequence, Report = report });

    /// <summary>The job counted and stored its outcomes up to <paramref name="upToSequence"/>; true when any went.</summary>
    public bool AckOutcomes(string jobId, long upToSequence) =>
        _state.Outbox.RemoveAll(o => o.JobId == jobId && o.Sequence <= upToSequence) > 0;

    /// <summary>At most this many outcomes go to a job in one message: a backlog (the job's storage was down) goes in
    /// slices, each acknowledged before the next, instead of one message that grows with the backlog.</summary>
    public const int MaxOutcomesPerBatch = 500;

    /// <summary>The oldest outcomes not yet acknowledged, one batch per job (all jobs, or one).</summary>
    public IEnumerable<(string JobId, OutcomeBatch Batch)> PendingOutcomes(string? jobId = null) =>
        _state.Outbox.Where(o => jobId is null || o.JobId == jobId).GroupBy(o => o.JobId, StringComparer.Ordinal)
            .Select(g => g.OrderBy(o => o.Sequence).Take(MaxOutcomesPerBatch).ToList())
            .Select(batch => (batch[0].JobId, new OutcomeBatch(_partition, batch[^1].Sequence, batch.Select(o => o.Report).ToArray())));

    public bool HasPendingOutcomes(string jobId) => _state.Outbox.Exists(o => o.JobId == jobId);

    public QueueSnapshot Snapshot(DateTimeOffset now)
    {
        var pending = _state.Jobs.Where(j => j.HasPending).ToList();
        var byPriority = pending.GroupBy(j => j.Priority).ToDictionary(g => g.Key, g => g.Sum(j => j.PendingCount));
        return new QueueSnapshot(pending.Count, byPriority.Values.Sum(), _state.Leases.Count, byPriority)
        {
            Retrying = pending.Sum(j => (long)j.Retries.Count(r => r.NotBefore > now)),
        };
    }

    /// <summary>Stops the job's stripe. An item waiting out a retry backoff ends here with a report: its job may still
    /// count it as in flight (a failed attempt, an expired or returned lease), and nothing else would end it.</summary>
    private static List<QueueReport> Drop(PartitionJob job, DropKind kind)
    {
        job.Dropped = kind;
        var reports = job.Retries.Select(r => new QueueReport(job.JobId, job.Generation, r.ItemIndex, r.Attempt, kind == DropKind.Cancelled,
            kind == DropKind.Cancelled ? "job cancelled while the item waited for a retry" : "deadline passed while the item waited for a retry")).ToList();
        job.Retries.Clear();
        job.NextIndex = job.ItemCount;
        return reports;
    }

    /// <summary>The item goes back to the front of its job; if the job was dropped meanwhile, it ends here.</summary>
    private QueueReport? Requeue(LeaseRecord lease, int attempt, DateTimeOffset notBefore, string message)
    {
        var job = Find(lease.JobId);
        if (job is null || job.Generation != lease.Generation) return null; // an older submission: the new one has its own cursor
        if (job.Dropped != DropKind.None)
            return new QueueReport(lease.JobId, lease.Generation, lease.ItemIndex, lease.Attempt, job.Dropped == DropKind.Cancelled,
                job.Dropped == DropKind.Cancelled ? "job cancelled" : $"deadline passed ({message})");
        if (!job.Retries.Any(r => r.ItemIndex == lease.ItemIndex))
            job.Retries.Insert(0, new RetryEntry { ItemIndex = lease.ItemIndex, Attempt = attempt, NotBefore = notBefore });
        return null;
    }

    private PartitionJob? Best(LeaseRequest request, DateTimeOffset now)
    {
        PartitionJob? best = null;
        foreach (var job in _state.Jobs)
        {
            if (job.Paused || !job.HasPending || job.RequiredBytes > request.CapacityBytes) continue; // too large: left for larger silos
            if (job.Deadline is { } deadline && deadline <= now) continue;
            if (NextItem(job, now) is null) continue; // only retries waiting out their backoff
            if (best is null || Before(job, best)) best = job;
        }
        return best;
    }

    private static bool Before(PartitionJob a, PartitionJob b)
    {
        if (a.Priority != b.Priority) return a.Priority > b.Priority;
        if (a.VirtualTime != b.VirtualTime) return a.VirtualTime < b.VirtualTime;
        return a.Sequence < b.Sequence;
    }

    private static int? NextItem(PartitionJob job, DateTimeOffset now)
    {
        foreach (var r in job.Retries)
            if (r.NotBefore <= now) return r.ItemIndex;
        return job.NextIndex < job.ItemCount ? job.NextIndex : null;
    }

    private double JoiningVirtualTime(int priority)
    {
        var peers = _state.Jobs.Where(j => j.Priority == priority && j.HasPending).Select(j => j.VirtualTime).ToList();
        return peers.Count == 0 ? 0 : peers.Min();
    }

    private bool IsLeased(string jobId, int item) => _state.Leases.Values.Any(l => l.JobId == jobId && l.ItemIndex == item);

    private static bool IsAheadOfCursor(PartitionJob job, int item) => item >= job.NextIndex && item < job.ItemCount;

    private PartitionJob? Find(string jobId) => _state.Jobs.Find(j => j.JobId == jobId);

    /// <summary>A job entry stays while it has pending items or leases out (an expired lease must find its entry).</summary>
    private void RemoveFinishedJobs()
    {
        var leasedJobs = _state.Leases.Values.Select(l => l.JobId).ToHashSet(StringComparer.Ordinal);
        _state.Jobs.RemoveAll(j => !j.HasPending && !leasedJobs.Contains(j.JobId) && j.Dropped == DropKind.None);
        _state.Jobs.RemoveAll(j => j.Dropped != DropKind.None && !leasedJobs.Contains(j.JobId));
    }
}
