using HiStream.Grains.Jobs;

namespace HiStream.Farm.Tests.Queue;

public sealed class RangeSetTests
{
    [Fact]
    public void ItemsEndingRoughlyInOrderStayAFewRanges()
    {
        var set = new RangeSet();
        var random = new Random(7);
        var order = Enumerable.Range(0, 100_000).OrderBy(i => i + random.Next(64)).ToList(); // out of order by up to 64
        foreach (var i in order) Assert.True(set.Add(i));
        Assert.Equal(100_000, set.Count);
        Assert.Equal(1, set.RangeCount);
        Assert.False(set.Add(500));
    }

    [Fact]
    public void AddRemoveContainsAndComplementAgreeWithAHashSet()
    {
        var set = new RangeSet();
        var reference = new HashSet<int>();
        var random = new Random(11);
        for (int step = 0; step < 5000; step++)
        {
            int item = random.Next(200);
            if (random.Next(3) == 0) Assert.Equal(reference.Remove(item), set.Remove(item));
            else Assert.Equal(reference.Add(item), set.Add(item));
        }
        Assert.Equal(reference.Count, set.Count);
        Assert.All(Enumerable.Range(0, 220), i => Assert.Equal(reference.Contains(i), set.Contains(i)));
        Assert.Equal(Enumerable.Range(0, 210).Where(i => !reference.Contains(i)), set.Complement(210));
        Assert.Equal(reference.Order(), set.Items());
        set.Clear();
        Assert.Equal((0L, 0), (set.Count, set.RangeCount));
        Assert.Empty(set.Items());
    }

    [Fact]
    public void EveryItemOfAMillionItemJobFailingIsOneRange()
    {
        // Outcomes arrive striped over partitions and out of order; failed items are kept as ranges (JobGrainState.FailedRanges).
        var failed = new RangeSet();
        var random = new Random(5);
        var order = Enumerable.Range(0, 1_000_000).Select(i => (Key: i + random.Next(64), Item: i)).OrderBy(p => p.Key).Select(p => p.Item);
        int most = 0;
        foreach (var item in order)
        {
            failed.Add(item);
            most = Math.Max(most, failed.RangeCount);
        }
        Assert.Equal((1_000_000L, 1), (failed.Count, failed.RangeCount));
        Assert.True(most < 200, $"{most} ranges at the most while items arrived up to 64 places out of order");
    }
}
