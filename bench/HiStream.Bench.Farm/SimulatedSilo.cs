using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Queue;
using HiStream.Grains.Storage;

namespace HiStream.Bench.Farm;

/// <summary>One simulated render silo: the production lease path (<see cref="PartitionedLeaser"/>: peek every
/// partition, lease from the best), then per video the protocol a real video runs: Started report, and per chunk the
/// fake engine's fixed time, the chunk written to blob storage, a lease renewal and a one-way Chunk notification; at
/// the end a one-way Completed notification and the lease ended with the outcome (stored by the partition). It times the hand-outs and the orchestration around each chunk.</summary>
public sealed class SimulatedSilo(string name, int slots, IGrainFactory grains, PartitionedLeaser queue, IBlobStore blobs, string container,
    FixedTimeEngine engine, int chunksPerVideo, BenchStats stats)
{
    public async Task RunAsync(Func<bool> moreWork, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        while (!cancellationToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            int free = slots - running.Count;
            if (free > 0)
            {
                var sw = Stopwatch.StartNew();
                var leases = await queue.LeaseAsync(new LeaseRequest(name, free, long.MaxValue, long.MaxValue), cancellationToken);
                if (leases.Count > 0) stats.HandOut(sw.Elapsed.TotalMilliseconds);
                foreach (var lease in leases) running.Add(RenderAsync(lease, cancellationToken));
                if (leases.Count > 0) continue;
                if (!moreWork() && running.Count == 0) break;
            }
            var next = running.Count > 0 ? Task.WhenAny(running) : Task.CompletedTask;
            await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken));
        }
        await Task.WhenAll(running);
    }

    private async Task RenderAsync(WorkLease lease, CancellationToken cancellationToken)
    {
        var job = grains.GetGrain<IJobGrain>(lease.JobId);
        var videoId = VideoKey.DefaultVideoId(lease.JobId, lease.ItemIndex);
        VideoReport Report(ProgressKind kind, int done) => new(lease.ItemIndex, videoId, kind, done, chunksPerVideo, 0, name, null) { Attempt = lease.Attempt, Generation = lease.Generation };
        var partition = FarmQueue.Partition(grains, lease.Partition);

        var orchestration = Stopwatch.StartNew();
        await job.ReportAsync(Report(ProgressKind.Started, 0));
        stats.Orchestration(orchestration.Elapsed.TotalMilliseconds, chunk: false);
        for (int c = 0; c < chunksPerVideo; c++)
        {
            var bytes = await engine.RenderChunkAsync(lease.ItemIndex * 1000 + c, cancellationToken);
            orchestration.Restart();
            await blobs.PutAsync(container, $"{lease.JobId}/{videoId}/chunks/{c:D4}.bin", BinaryData.FromBytes(bytes), "application/octet-stream", cancellationToken);
            await partition.RenewAsync(lease.LeaseId);
            await job.NotifyAsync(Report(ProgressKind.Chunk, c + 1));
            stats.Orchestration(orchestration.Elapsed.TotalMilliseconds, chunk: true);
        }
        orchestration.Restart();
        var completed = Report(ProgressKind.Completed, chunksPerVideo);
        await job.NotifyAsync(completed);
        await queue.EndAsync(lease, LeaseOutcome.Done, null, final: completed);
        stats.Orchestration(orchestration.Elapsed.TotalMilliseconds, chunk: false);
        stats.VideoDone();
    }
}
