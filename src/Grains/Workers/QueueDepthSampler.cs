using HiStream.Grains.Queue;
using HiStream.Grains.Telemetry;

namespace HiStream.Grains.Workers;

/// <summary>Publishes the queue depth as this silo last saw it (gauge <c>histream.queue.depth</c>), at most every
/// <see cref="Period"/> (over the partitions that answer), so the autoscaler can scale on it without every silo asking the queue on each poll.</summary>
public sealed class QueueDepthSampler
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly PartitionedLeaser _queue;
    private readonly FarmMetrics _metrics;
    private readonly TimeProvider _time;
    private DateTimeOffset _next;

    public QueueDepthSampler(PartitionedLeaser queue, FarmMetrics metrics, TimeProvider time)
    {
        _queue = queue;
        _metrics = metrics;
        _time = time;
        _next = time.GetUtcNow();
    }

    public async Task SampleIfDueAsync()
    {
        if (_time.GetUtcNow() < _next) return;
        _metrics.QueueDepth = (await _queue.SnapshotAsync()).PendingItems;
        _next = _time.GetUtcNow() + Period;
    }
}
