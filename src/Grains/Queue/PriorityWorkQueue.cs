using HiStream.Abstractions.Queue;

namespace HiStream.Grains.Queue;

/// <summary>The queue's rules over <see cref="WorkQueueState"/>, kept apart from the grain so they can be tested alone.
/// Order: priority (higher first), then submission sequence; within a job, returned items before the cursor.
/// Every method reports whether it changed the state (so the grain writes only when needed).</summary>
public sealed class PriorityWorkQueue
{
    private readonly WorkQueueState _state;
    private readonly TimeSpan _leaseDuration;

    public PriorityWorkQueue(WorkQueueState state, TimeSpan leaseDuration)
    {
        _state = state;
        _leaseDuration = leaseDuration;
    }

    public WorkQueueState State => _state;

    public bool AddJob(string jobId, int priority, int itemCount, long requiredBytes)
    {
        var existing = Find(jobId);
        if (existing is not null && !existing.Cancelled) return false; // already queued: a resubmission adds nothing
        if (existing is not null) _state.Jobs.Remove(existing);
        Insert(new QueuedJob
        {
            JobId = jobId,
            Priority = priority,
            Sequence = _state.NextSequence++,
            ItemCount = itemCount,
            RequiredBytes = requiredBytes,
        });
        return true;
    }

    public bool AddItems(string jobId, int priority, long requiredBytes, IEnumerable<int> items)
    {
        var job = Find(jobId);
        if (job is null || job.Cancelled)
        {
            if (job is not null) _state.Jobs.Remove(job);
            job = new QueuedJob { JobId = jobId, Priority = priority, Sequence = _state.NextSequence++, RequiredBytes = requiredBytes };
            Insert(job);
        }
        bool changed = false;
        foreach (var item in items)
        {
            if (job.Retries.Contains(item) || IsLeased(jobId, item) || (item >= job.NextIndex && item < job.ItemCount)) continue;
            job.Retries.Add(item);
            changed = true;
        }
        return changed;
    }

    public IReadOnlyList<WorkLease> Lease(LeaseRequest request, DateTimeOffset now, Func<string> newLeaseId)
    {
        var leases = new List<WorkLease>();
        int slots = request.MaxVideos;
        long free = request.FreeBytes;
        foreach (var job in _state.Jobs)
        {
            if (slots <= 0) break;
            if (!job.HasPending) continue;
            if (job.RequiredBytes > request.CapacityBytes) continue; // never fits on this silo: leave it to larger ones
            while (job.HasPending && slots > 0)
            {
                if (job.RequiredBytes > free) return leases; // fits later: wait for memory rather than let lower priorities pass
                int item;
                if (job.Retries.Count > 0)
                {
                    item = job.Retries[0];
                    job.Retries.RemoveAt(0);
                }
                else
                {
                    item = job.NextIndex++;
                }
                var lease = new LeaseRecord { LeaseId = newLeaseId(), JobId = job.JobId, ItemIndex = item, Silo = request.Silo, ExpiresAt = now + _leaseDuration };
                _state.Leases[lease.LeaseId] = lease;
                leases.Add(new WorkLease(lease.LeaseId, job.JobId, item, job.Priority, job.RequiredBytes));
                free -= job.RequiredBytes;
                slots--;
            }
        }
        return leases;
    }

    public bool Renew(string silo, IEnumerable<string> leaseIds, DateTimeOffset now)
    {
        bool changed = false;
        foreach (var id in leaseIds)
        {
            if (_state.Leases.TryGetValue(id, out var lease) && lease.Silo == silo)
            {
                lease.ExpiresAt = now + _leaseDuration;
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>Expired leases go back to the front of their job (their silo stopped renewing: it died or hung).</summary>
    public bool ExpireLeases(DateTimeOffset now)
    {
        var expired = _state.Leases.Values.Where(l => l.ExpiresAt <= now).ToList();
        foreach (var lease in expired)
        {
            _state.Leases.Remove(lease.LeaseId);
            var job = Find(lease.JobId);
            if (job is not null && !job.Cancelled) job.Retries.Insert(0, lease.ItemIndex);
        }
        if (expired.Count > 0) RemoveFinishedJobs();
        return expired.Count > 0;
    }

    /// <summary>The silo's leases go back to the front of their jobs (the silo is dead); returns how many.</summary>
    public int ReleaseSilo(string silo)
    {
        var held = _state.Leases.Values.Where(l => l.Silo == silo).Select(l => l.LeaseId).ToList();
        foreach (var id in held) Return(id);
        return held.Count;
    }

    public bool Complete(string jobId, int itemIndex)
    {
        var leases = _state.Leases.Values.Where(l => l.JobId == jobId && l.ItemIndex == itemIndex).Select(l => l.LeaseId).ToList();
        foreach (var id in leases) _state.Leases.Remove(id);
        bool removedJobs = RemoveFinishedJobs();
        return leases.Count > 0 || removedJobs;
    }

    public bool Return(string leaseId)
    {
        if (!_state.Leases.Remove(leaseId, out var lease)) return false;
        var job = Find(lease.JobId);
        if (job is not null && !job.Cancelled) job.Retries.Insert(0, lease.ItemIndex);
        RemoveFinishedJobs();
        return true;
    }

    public CancelledWork CancelJob(string jobId)
    {
        var job = Find(jobId);
        if (job is null || job.Cancelled) return new CancelledWork(0, 0, []);
        var result = new CancelledWork(job.NextIndex, Math.Max(job.NextIndex, job.ItemCount), job.Retries.ToArray());
        job.Cancelled = true;
        job.Retries.Clear();
        job.NextIndex = job.ItemCount;
        RemoveFinishedJobs();
        return result;
    }

    public QueueSnapshot Snapshot()
    {
        var byPriority = _state.Jobs.Where(j => j.HasPending)
            .GroupBy(j => j.Priority)
            .ToDictionary(g => g.Key, g => g.Sum(j => j.PendingCount));
        return new QueueSnapshot(_state.Jobs.Count(j => j.HasPending), byPriority.Values.Sum(), _state.Leases.Count, byPriority);
    }

    private bool IsLeased(string jobId, int item) => _state.Leases.Values.Any(l => l.JobId == jobId && l.ItemIndex == item);

    private QueuedJob? Find(string jobId) => _state.Jobs.Find(j => j.JobId == jobId);

    private void Insert(QueuedJob job)
    {
        int at = _state.Jobs.FindIndex(j => j.Priority < job.Priority || (j.Priority == job.Priority && j.Sequence > job.Sequence));
        if (at < 0) _state.Jobs.Add(job);
        else _state.Jobs.Insert(at, job);
    }

    /// <summary>A job entry stays while it has pending items or leases out (an expired lease must find its entry).</summary>
    private bool RemoveFinishedJobs()
    {
        var leasedJobs = _state.Leases.Values.Select(l => l.JobId).ToHashSet(StringComparer.Ordinal);
        return _state.Jobs.RemoveAll(j => !j.HasPending && !leasedJobs.Contains(j.JobId)) > 0;
    }
}
