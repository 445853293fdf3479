using HiStream.Abstractions.Queue;

namespace HiStream.Grains.Queue;

/// <summary>The partitioned queue seen as one: which partitions hold a job, and a snapshot over all of them that
/// skips a partition that does not answer in time (its silo may be down) instead of waiting for it.</summary>
public static class FarmQueue
{
    public static IQueuePartitionGrain Partition(IGrainFactory grains, int partition) => grains.GetGrain<IQueuePartitionGrain>(partition);

    /// <summary>The partitions a job's items are striped over, starting at a partition chosen from the job id so that
    /// small jobs spread over the queue.</summary>
    public static IEnumerable<int> PartitionsOf(string jobId, int itemCount, int partitions)
    {
        int offset = OffsetOf(jobId, partitions);
        for (int i = 0; i < Math.Min(itemCount, partitions); i++) yield return (offset + i) % partitions;
    }

    public static int OffsetOf(string jobId, int partitions)
    {
        uint h = 2166136261;
        foreach (char c in jobId) h = (h ^ c) * 16777619;
        return (int)(h % (uint)partitions);
    }

    public static async Task<QueueSnapshot> SnapshotAsync(IGrainFactory grains, int partitions, TimeSpan timeout)
    {
        var calls = Enumerable.Range(0, partitions).Select(async p =>
        {
            try
            {
                return await Partition(grains, p).GetSnapshotAsync().WaitAsync(timeout);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException)
            {
                return QueueSnapshot.Empty with { Partitions = 0, Unavailable = 1 };
            }
        });
        var all = await Task.WhenAll(calls);
        return all.Aggregate(QueueSnapshot.Empty with { Partitions = 0 }, (a, b) => a.Plus(b));
    }
}
