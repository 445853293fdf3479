using HiStream.Abstractions.Queue;
using HiStream.Grains.Queue;

namespace HiStream.Farm.Tests.Queue;

/// <summary>The rules of one queue partition, on a clock the tests move.</summary>
public sealed class QueuePartitionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly QueueRules Rules = new(TimeSpan.FromMinutes(1), MaxAttempts: 3, RetryBackoff: TimeSpan.FromSeconds(10), RetryBackoffMax: TimeSpan.FromSeconds(25));

    private static QueuePartition NewQueue(out QueuePartitionState state, int partition = 0)
    {
        state = new QueuePartitionState();
        return new QueuePartition(state, Rules, partition, T0);
    }

    /// <summary>A job wholly in this partition (stride 1).</summary>
    private static QueuedJobSpec Job(string id, int priority, int items, long bytes = 1, int generation = 0, DateTimeOffset? deadline = null) =>
        new(id, generation, priority, items, 1, 0, bytes, false, deadline);

    private static IReadOnlyList<WorkLease> Lease(QueuePartition q, int max, long free = long.MaxValue, long capacity = long.MaxValue, DateTimeOffset? now = null) =>
        q.Lease(new LeaseRequest("silo", max, free, capacity), now ?? T0);

    private static string[] Keys(IEnumerable<WorkLease> leases) => leases.Select(l => $"{l.JobId}:{l.ItemIndex}").ToArray();

    private static (bool, QueueReport?) End(QueuePartition q, WorkLease l, LeaseOutcome outcome, DateTimeOffset? now = null) =>
        q.End(new LeaseEnd(l.LeaseId, l.JobId, l.ItemIndex, outcome, "boom"), now ?? T0);

    [Fact]
    public void HigherPriorityFirst()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 1));
        q.AddJob(Job("b", 5, 1));
        q.AddJob(Job("c", 0, 1));
        q.AddJob(Job("d", 5, 1));
        Assert.Equal(["b:0", "d:0", "a:0", "c:0"], Keys(Lease(q, 10)));
    }

    [Fact]
    public void JobsOfOnePriorityTakeTurnsSoALateSmallJobIsNotStarved()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("big", 0, 1_000_000));
        Assert.Equal(["big:0", "big:1", "big:2"], Keys(Lease(q, 3)));
        q.AddJob(Job("small", 0, 3));
        // Round robin from here on: the small job is done within six hand-outs, not after a million.
        Assert.Equal(["big:3", "small:0", "big:4", "small:1", "big:5", "small:2", "big:6"], Keys(Lease(q, 7)));
    }

    [Fact]
    public void AMillionItemJobIsOneEntryWithACursor()
    {
        var q = NewQueue(out var state);
        q.AddJob(Job("big", 0, 1_000_000));
        Assert.Single(state.Jobs);
        Assert.Equal(["big:0", "big:1", "big:2"], Keys(Lease(q, 3)));
        Assert.Equal(999_997, q.Snapshot(T0).PendingItems);
        Assert.Equal(3, state.Leases.Count);
    }

    [Fact]
    public void APartitionHoldsOnlyItsStripeOfAJob()
    {
        // 10 items over 4 partitions starting at partition 1: partition 3 holds items 2 and 6.
        var q = NewQueue(out _, partition: 3);
        Assert.True(q.AddJob(new QueuedJobSpec("j", 0, 0, 10, 4, 1, 1, false, null)));
        Assert.Equal(2, q.Snapshot(T0).PendingItems);
        Assert.Equal(["j:2", "j:6"], Keys(Lease(q, 5)));
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal((1 + i) % 4, QueuedJobSpec.PartitionOf(1, 4, i)));
        // A 2-item job striped from partition 0 has nothing in partition 3.
        Assert.False(q.AddJob(new QueuedJobSpec("tiny", 0, 0, 2, 4, 0, 1, false, null)));
    }

    [Fact]
    public void PeekShowsTheNextItemWithoutHandingItOut()
    {
        var q = NewQueue(out _, partition: 2);
        q.AddJob(new QueuedJobSpec("a", 0, 0, 10, 4, 0, 7, false, null));
        var head = q.Peek(new LeaseRequest("s", 1, 100, 100), T0)!;
        Assert.Equal((2, 2, 7L), (head.Partition, head.ItemIndex, head.RequiredBytes));
        Assert.Equal(head, q.Peek(new LeaseRequest("s", 1, 100, 100), T0));
        Assert.Null(q.Peek(new LeaseRequest("s", 1, 100, CapacityBytes: 5), T0)); // too large for that silo
    }

    [Fact]
    public void HeadsOrderByPriorityThenFairShareThenSubmissionThenItem()
    {
        var heads = new[]
        {
            new QueueHead(0, 0, 5, 1, 9, 1), new QueueHead(1, 3, 9, 9, 9, 1), new QueueHead(2, 0, 5, 1, 4, 1), new QueueHead(3, 0, 2, 7, 0, 1),
        };
        Assert.Equal([1, 3, 2, 0], heads.OrderBy(h => h).Select(h => h.Partition));
    }

    [Fact]
    public void AnItemThatFitsLaterBlocksLowerPrioritiesOnThatSilo()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("large", 5, 1, bytes: 100));
        q.AddJob(Job("small", 0, 1, bytes: 10));
        Assert.Empty(Lease(q, 4, free: 50, capacity: 200)); // waits for memory instead of letting "small" pass
        Assert.Equal(["large:0", "small:0"], Keys(Lease(q, 4, free: 200, capacity: 200)));
    }

    [Fact]
    public void AnItemLargerThanTheSiloIsLeftForOthers()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("huge", 5, 1, bytes: 1000));
        q.AddJob(Job("small", 0, 1, bytes: 10));
        Assert.Equal(["small:0"], Keys(Lease(q, 4, free: 100, capacity: 100)));
        Assert.Equal(["huge:0"], Keys(Lease(q, 4, free: 5000, capacity: 5000)));
    }

    [Fact]
    public void ExpiredLeasesReturnToTheFrontWithTheNextAttemptAndRenewalsKeepThem()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 3));
        var first = Lease(q, 1, now: T0).Single();
        Assert.Equal((1, 3), (first.Attempt, first.MaxAttempts));
        Assert.True(q.Renew(first.LeaseId, T0 + TimeSpan.FromSeconds(50)));
        Assert.False(q.ExpireLeases(T0 + TimeSpan.FromSeconds(90)).Changed); // renewed at 50 s: runs to 110 s
        Assert.True(q.ExpireLeases(T0 + TimeSpan.FromSeconds(200)).Changed);
        Assert.False(q.Renew(first.LeaseId, T0 + TimeSpan.FromSeconds(201))); // the video learns it lost its lease
        var again = Lease(q, 2, now: T0 + TimeSpan.FromSeconds(200));
        Assert.Equal(["a:0", "a:1"], Keys(again));
        Assert.Equal(2, again[0].Attempt);
    }

    [Fact]
    public void AReactivatedPartitionGivesEveryStoredLeaseAFullDuration()
    {
        var state = new QueuePartitionState();
        var q = new QueuePartition(state, Rules, 0, T0);
        q.AddJob(Job("a", 0, 1));
        Lease(q, 1, now: T0);
        var later = T0 + TimeSpan.FromMinutes(10); // the partition's silo died; renewals in memory were lost
        var reloaded = new QueuePartition(state, Rules, 0, later);
        Assert.False(reloaded.ExpireLeases(later + TimeSpan.FromSeconds(59)).Changed);
        Assert.True(reloaded.ExpireLeases(later + TimeSpan.FromSeconds(61)).Changed);
    }

    [Fact]
    public void AFailedAttemptIsRetriedAfterAnExponentialBackoffThenFailsForGood()
    {
        var q = NewQueue(out var state);
        q.AddJob(Job("a", 0, 1));
        var now = T0;
        var l1 = Lease(q, 1, now: now).Single();
        Assert.Null(End(q, l1, LeaseOutcome.Failed, now).Item2);
        Assert.Empty(Lease(q, 1, now: now + TimeSpan.FromSeconds(9))); // backoff 10 s before attempt 2
        Assert.Equal(1, q.Snapshot(now).Retrying);
        var l2 = Lease(q, 1, now: now + TimeSpan.FromSeconds(10)).Single();
        Assert.Equal(2, l2.Attempt);
        End(q, l2, LeaseOutcome.Failed, now + TimeSpan.FromSeconds(10));
        Assert.Empty(Lease(q, 1, now: now + TimeSpan.FromSeconds(29))); // 20 s before attempt 3
        var l3 = Lease(q, 1, now: now + TimeSpan.FromSeconds(30)).Single();
        Assert.Equal((3, true), (l3.Attempt, l3.IsLastAttempt));
        End(q, l3, LeaseOutcome.Failed, now + TimeSpan.FromSeconds(30)); // the last attempt: the video reported it failed
        Assert.Empty(Lease(q, 1, now: now + TimeSpan.FromHours(1)));
        Assert.Empty(state.Jobs); // nothing of it is kept: retries do not grow the state
        Assert.Empty(state.Leases);
        Assert.Equal(TimeSpan.FromSeconds(25), Rules.BackoffBefore(4)); // capped
    }

    [Fact]
    public void ALeaseThatExpiresOnItsLastAttemptIsReportedFailed()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 1));
        var now = T0;
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            var lease = Lease(q, 1, now: now).Single();
            Assert.Equal(attempt, lease.Attempt);
            now += TimeSpan.FromMinutes(2);
            var (_, reports) = q.ExpireLeases(now);
            if (attempt < 3) Assert.Empty(reports);
            else Assert.Contains("lease expired on attempt 3 of 3", Assert.Single(reports).Message);
        }
    }

    [Fact]
    public void EndingALeaseTwiceChangesNothing()
    {
        var q = NewQueue(out var state);
        q.AddJob(Job("a", 0, 2));
        var lease = Lease(q, 1).Single();
        Assert.True(End(q, lease, LeaseOutcome.Done).Item1);
        Assert.False(End(q, lease, LeaseOutcome.Done).Item1);
        Assert.False(End(q, lease, LeaseOutcome.Failed).Item1); // a late failure of an ended lease queues nothing
        Assert.Equal(1, q.Snapshot(T0).PendingItems);
        Assert.Empty(state.Leases);
    }

    [Fact]
    public void ReturnedItemsComeBackFirstWithTheSameAttempt()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 3));
        var leases = Lease(q, 2);
        End(q, leases[1], LeaseOutcome.Returned);
        var again = Lease(q, 5);
        Assert.Equal(["a:1", "a:2"], Keys(again));
        Assert.Equal(1, again[0].Attempt);
    }

    [Fact]
    public void DroppingAJobLeasesNothingMoreAndReportsItsItemsThatComeBack()
    {
        var q = NewQueue(out var state);
        q.AddJob(Job("a", 0, 10));
        var leased = Lease(q, 3);
        Assert.True(q.DropJob("a", 0, cancelled: true).Changed);
        Assert.False(q.DropJob("a", 0, cancelled: true).Changed);
        Assert.Empty(Lease(q, 5));
        Assert.Equal(0, q.Snapshot(T0).PendingItems);
        var (_, report) = End(q, leased[0], LeaseOutcome.Returned); // drained while the job was cancelled: it ends here
        Assert.True(report!.Cancelled);
        var (_, expired) = q.ExpireLeases(T0 + TimeSpan.FromHours(1));
        Assert.Equal(2, expired.Count);
        Assert.Empty(state.Jobs);
    }

    [Fact]
    public void ADeadlineStopsHandingOutItemsAndIsReportedOnce()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 5, deadline: T0 + TimeSpan.FromMinutes(5)));
        Assert.Single(Lease(q, 1, now: T0));
        Assert.Empty(q.CheckDeadlines(T0 + TimeSpan.FromMinutes(4)).Jobs);
        Assert.Empty(Lease(q, 1, now: T0 + TimeSpan.FromMinutes(5)));
        Assert.Equal(("a", 0), Assert.Single(q.CheckDeadlines(T0 + TimeSpan.FromMinutes(5)).Jobs));
        Assert.Empty(q.CheckDeadlines(T0 + TimeSpan.FromMinutes(6)).Jobs);
        Assert.Equal(0, q.Snapshot(T0).PendingItems);
    }

    [Fact]
    public void ItemsWaitingForARetryEndWithAReportWhenTheirJobIsDropped()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 3, deadline: T0 + TimeSpan.FromMinutes(5)));
        q.AddJob(Job("b", 0, 3));
        foreach (var l in Lease(q, 6)) End(q, l, l.ItemIndex == 1 ? LeaseOutcome.Failed : LeaseOutcome.Done); // a:1 and b:1 wait out their backoff

        var (changed, cancelled) = q.DropJob("b", 0, cancelled: true);
        var (jobs, late) = q.CheckDeadlines(T0 + TimeSpan.FromMinutes(5));

        Assert.True(changed);
        var b1 = Assert.Single(cancelled);
        Assert.Equal(("b", 1, 2, true), (b1.JobId, b1.ItemIndex, b1.Attempt, b1.Cancelled));
        Assert.Equal(("a", 0), Assert.Single(jobs));
        var a1 = Assert.Single(late);
        Assert.Equal(("a", 1, false), (a1.JobId, a1.ItemIndex, a1.Cancelled));
        Assert.Contains("deadline", a1.Message);
        Assert.Empty(Lease(q, 6, now: T0 + TimeSpan.FromHours(1))); // and they are not handed out any more
    }

    [Fact]
    public void ABacklogOfOutcomesGoesToItsJobInSlicesOldestFirst()
    {
        var q = NewQueue(out _);
        for (int i = 0; i < 1200; i++)
            q.AddOutcome(i % 2 == 0 ? "a" : "b", new HiStream.Abstractions.Videos.VideoReport(i, $"v{i}", HiStream.Abstractions.Jobs.ProgressKind.Completed, 1, 1, 0, null, null));

        var sizes = new List<int>();
        var items = new List<int>();
        while (q.PendingOutcomes("a").ToList() is [var (_, batch)])
        {
            sizes.Add(batch.Reports.Length);
            items.AddRange(batch.Reports.Select(r => r.ItemIndex));
            Assert.True(q.AckOutcomes("a", batch.UpToSequence));
        }

        Assert.Equal([QueuePartition.MaxOutcomesPerBatch, 100], sizes);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => 2 * i), items); // every one of a's, once, oldest first
        Assert.False(q.HasPendingOutcomes("a"));
        Assert.Equal(QueuePartition.MaxOutcomesPerBatch, Assert.Single(q.PendingOutcomes("b")).Batch.Reports.Length);
    }

    [Fact]
    public void PausingSkipsAJobAndAPriorityChangeReordersIt()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 3));
        q.AddJob(Job("b", 0, 3));
        Assert.True(q.Control(new JobControl("a", 0, 0, Paused: true, null)));
        Assert.Equal(["b:0", "b:1"], Keys(Lease(q, 2)));
        Assert.True(q.Control(new JobControl("a", 0, 9, Paused: false, null)));
        Assert.False(q.Control(new JobControl("a", 0, 9, Paused: false, null)));
        Assert.Equal(["a:0", "a:1", "a:2", "b:2"], Keys(Lease(q, 5)));
        Assert.False(q.Control(new JobControl("a", 7, 0, false, null))); // another generation: ignored
    }

    [Fact]
    public void ANewGenerationReplacesTheOldAndTheSameGenerationAddsNothing()
    {
        var q = NewQueue(out var state);
        Assert.True(q.AddJob(Job("a", 0, 5)));
        Assert.False(q.AddJob(Job("a", 0, 5)));
        var old = Lease(q, 2);
        q.DropJob("a", 0, cancelled: true);
        Assert.True(q.AddJob(Job("a", 0, 5, generation: 1)));
        var fresh = Lease(q, 5);
        Assert.Equal(["a:0", "a:1", "a:2", "a:3", "a:4"], Keys(fresh));
        Assert.All(fresh, l => Assert.Equal(1, l.Generation));
        Assert.Null(End(q, old[0], LeaseOutcome.Failed).Item2); // a late failure of the old generation queues nothing
        Assert.Equal(0, q.Snapshot(T0).PendingItems);
        Assert.Single(state.Jobs);
    }

    [Fact]
    public void RetriedItemsAreQueuedOnceWithAFreshAttemptBudget()
    {
        var q = NewQueue(out _);
        q.AddJob(Job("a", 0, 2));
        foreach (var l in Lease(q, 2)) End(q, l, LeaseOutcome.Done);
        Assert.True(q.AddItems(Job("a", 0, 2), [1, 1, 0], T0));
        var again = Lease(q, 5);
        Assert.Equal(["a:1", "a:0"], Keys(again));
        Assert.All(again, l => Assert.Equal(1, l.Attempt));
    }
}
