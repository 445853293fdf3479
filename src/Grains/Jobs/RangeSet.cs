namespace HiStream.Grains.Jobs;

/// <summary>A set of item indices as sorted, disjoint half-open ranges. Items of a job end roughly in order, so the set
/// of ended items of a million-item job is a handful of ranges (about one per video in flight), not a million entries;
/// so is the set of failed items of a job whose every video fails (a bad model or device).</summary>
[GenerateSerializer, Alias("histream.RangeSet")]
public sealed class RangeSet
{
    /// <summary>Start and end of each range, in order: [s0, e0), [s1, e1), …</summary>
    [Id(0)] public List<int> Bounds { get; set; } = [];
    [Id(1)] public long Count { get; set; }

    public int RangeCount => Bounds.Count / 2;

    public bool Contains(int item)
    {
        int r = RangeAtOrBefore(item);
        return r >= 0 && item < Bounds[2 * r + 1];
    }

    /// <summary>Adds the item; false when it was there already.</summary>
    public bool Add(int item)
    {
        int r = RangeAtOrBefore(item);
        if (r >= 0 && item < Bounds[2 * r + 1]) return false;
        bool joinsLeft = r >= 0 && Bounds[2 * r + 1] == item;
        bool joinsRight = 2 * (r + 1) < Bounds.Count && Bounds[2 * (r + 1)] == item + 1;
        if (joinsLeft && joinsRight)
        {
            Bounds[2 * r + 1] = Bounds[2 * (r + 1) + 1];
            Bounds.RemoveRange(2 * (r + 1), 2);
        }
        else if (joinsLeft) Bounds[2 * r + 1] = item + 1;
        else if (joinsRight) Bounds[2 * (r + 1)] = item;
        else Bounds.InsertRange(2 * (r + 1), [item, item + 1]);
        Count++;
        return true;
    }

    public bool Remove(int item)
    {
        int r = RangeAtOrBefore(item);
        if (r < 0 || item >= Bounds[2 * r + 1]) return false;
        int start = Bounds[2 * r], end = Bounds[2 * r + 1];
        if (start == item && end == item + 1) Bounds.RemoveRange(2 * r, 2);
        else if (start == item) Bounds[2 * r] = item + 1;
        else if (end == item + 1) Bounds[2 * r + 1] = item;
        else
        {
            Bounds[2 * r + 1] = item;
            Bounds.InsertRange(2 * r + 2, [item + 1, end]);
        }
        Count--;
        return true;
    }

    /// <summary>The items, in order.</summary>
    public IEnumerable<int> Items()
    {
        for (int r = 0; r < RangeCount; r++)
            for (int i = Bounds[2 * r]; i < Bounds[2 * r + 1]; i++) yield return i;
    }

    public void Clear()
    {
        Bounds.Clear();
        Count = 0;
    }

    /// <summary>Items in [0, <paramref name="total"/>) that are not in the set, in order.</summary>
    public IEnumerable<int> Complement(int total)
    {
        int next = 0;
        for (int r = 0; r < RangeCount && next < total; r++)
        {
            for (int i = next; i < Math.Min(Bounds[2 * r], total); i++) yield return i;
            next = Bounds[2 * r + 1];
        }
        for (int i = next; i < total; i++) yield return i;
    }

    /// <summary>Index of the last range whose start is ≤ item, or −1.</summary>
    private int RangeAtOrBefore(int item)
    {
        int lo = 0, hi = RangeCount - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (Bounds[2 * mid] <= item)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }
}
