using HiStream.Abstractions.Queue;
using HiStream.Grains.Queue;

namespace HiStream.Farm.Tests.Queue;

public sealed class PriorityWorkQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private int _ids;

    private PriorityWorkQueue NewQueue(out WorkQueueState state)
    {
        state = new WorkQueueState();
        return new PriorityWorkQueue(state, TimeSpan.FromMinutes(1));
    }

    private IReadOnlyList<WorkLease> Lease(PriorityWorkQueue q, int max, long free = long.MaxValue, long capacity = long.MaxValue, string silo = "a", DateTimeOffset? now = null) =>
        q.Lease(new LeaseRequest(silo, max, free, capacity), now ?? T0, () => $"l{_ids++}");

    private static string[] Keys(IEnumerable<WorkLease> leases) => leases.Select(l => $"{l.JobId}:{l.ItemIndex}").ToArray();

    [Fact]
    public void HigherPriorityFirstThenFirstComeWithinAPriority()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 2, 1);
        q.AddJob("b", 5, 1, 1);
        q.AddJob("c", 0, 1, 1);
        q.AddJob("d", 5, 1, 1);
        Assert.Equal(["b:0", "d:0", "a:0", "a:1", "c:0"], Keys(Lease(q, 10)));
    }

    [Fact]
    public void AMillionItemJobIsOneEntryWithACursor()
    {
        var q = NewQueue(out var state);
        q.AddJob("big", 0, 1_000_000, 1);
        Assert.Single(state.Jobs);
        Assert.Equal(["big:0", "big:1", "big:2"], Keys(Lease(q, 3)));
        Assert.Equal(999_997, q.Snapshot().PendingItems);
        Assert.Equal(3, state.Leases.Count);
    }

    [Fact]
    public void AnItemThatFitsLaterBlocksLowerPrioritiesOnThatSilo()
    {
        var q = NewQueue(out _);
        q.AddJob("large", 5, 1, 100);
        q.AddJob("small", 0, 1, 10);
        Assert.Empty(Lease(q, 4, free: 50, capacity: 200)); // waits for memory instead of letting "small" pass
        Assert.Equal(["large:0", "small:0"], Keys(Lease(q, 4, free: 200, capacity: 200)));
    }

    [Fact]
    public void AnItemLargerThanTheSiloIsLeftForOthers()
    {
        var q = NewQueue(out _);
        q.AddJob("huge", 5, 1, 1000);
        q.AddJob("small", 0, 1, 10);
        Assert.Equal(["small:0"], Keys(Lease(q, 4, free: 100, capacity: 100, silo: "small-gpu")));
        Assert.Equal(["huge:0"], Keys(Lease(q, 4, free: 5000, capacity: 5000, silo: "big-gpu")));
    }

    [Fact]
    public void SlotCountLimitsTheLease()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 10, 1);
        Assert.Equal(2, Lease(q, 2).Count);
        Assert.Empty(Lease(q, 0));
    }

    [Fact]
    public void ExpiredLeasesReturnToTheFrontOfTheirJob()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 3, 1);
        var first = Lease(q, 1, now: T0);
        Assert.False(q.ExpireLeases(T0 + TimeSpan.FromSeconds(59)));
        Assert.True(q.Renew("a", [first[0].LeaseId], T0 + TimeSpan.FromSeconds(59)));
        Assert.False(q.ExpireLeases(T0 + TimeSpan.FromSeconds(90)));
        Assert.True(q.ExpireLeases(T0 + TimeSpan.FromSeconds(200)));
        Assert.Equal(["a:0", "a:1"], Keys(Lease(q, 2, now: T0 + TimeSpan.FromSeconds(200))));
    }

    [Fact]
    public void CompletingTheLastItemRemovesTheJob()
    {
        var q = NewQueue(out var state);
        q.AddJob("a", 0, 1, 1);
        var lease = Lease(q, 1).Single();
        Assert.Single(state.Jobs);
        Assert.True(q.Complete("a", lease.ItemIndex));
        Assert.Empty(state.Jobs);
        Assert.Empty(state.Leases);
    }

    [Fact]
    public void ReturnedItemsComeBackFirst()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 3, 1);
        var leases = Lease(q, 2);
        Assert.True(q.Return(leases[1].LeaseId));
        Assert.Equal(["a:1", "a:2"], Keys(Lease(q, 5)));
    }

    [Fact]
    public void CancellingAJobReportsWhatWasDroppedAndLeasesNothingMore()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 10, 1);
        var leased = Lease(q, 3);
        q.Return(leased[2].LeaseId);
        var dropped = q.CancelJob("a");
        Assert.Equal((3, 10), (dropped.RangeStart, dropped.RangeEnd));
        Assert.Equal([2], dropped.Retries);
        Assert.Empty(Lease(q, 5));
        Assert.Equal(0, q.Snapshot().PendingItems);
        Assert.False(q.ExpireLeases(T0 + TimeSpan.FromHours(1)) && q.Snapshot().PendingItems > 0); // expired leases of a cancelled job are not re-queued
        Assert.Equal(0, q.Snapshot().PendingItems);
    }

    [Fact]
    public void ResubmittingAQueuedJobAddsNothing()
    {
        var q = NewQueue(out var state);
        Assert.True(q.AddJob("a", 0, 5, 1));
        Assert.False(q.AddJob("a", 0, 5, 1));
        Assert.Single(state.Jobs);
    }

    [Fact]
    public void RetriedItemsAreQueuedOnce()
    {
        var q = NewQueue(out _);
        q.AddJob("a", 0, 2, 1);
        foreach (var l in Lease(q, 2)) q.Complete(l.JobId, l.ItemIndex);
        Assert.True(q.AddItems("a", 0, 1, [1, 1, 0]));
        Assert.Equal(["a:1", "a:0"], Keys(Lease(q, 5)));
    }
}
