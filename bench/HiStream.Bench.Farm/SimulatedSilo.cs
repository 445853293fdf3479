using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Queue;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Bench.Farm;

/// <summary>One simulated render silo: the production lease path (<see cref="PartitionedLeaser"/>: peek every
/// partition, lease from the best), then per video the storage and grain calls a real <c>VideoGrain</c> makes, in
/// the same order: the Started report and the stored-chunk listing; per chunk the fake engine's fixed time, then
/// (not awaited, as in production) the lease renewal, and, behind the next chunk's render
/// (<see cref="ChunkWriteBehind"/>), the chunk's blob, the video's state blob and a one-way Chunk notification; at
/// the end the metadata blob, the results line, the final state blob, a one-way Completed notification and the
/// lease's end. It times the hand-outs, the device's idle time between chunks and the per-video start and finish.</summary>
public sealed class SimulatedSilo(string name, int slots, IGrainFactory grains, PartitionedLeaser queue, IBlobStore blobs, string container,
    FixedTimeEngine engine, int chunksPerVideo, BenchStats stats)
{
    private const string StateContainer = "bench-video-state";

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
        var folder = $"{lease.JobId}/{videoId}";
        VideoReport Report(ProgressKind kind, int done) => new(lease.ItemIndex, videoId, kind, done, chunksPerVideo, 0, name, null) { Attempt = lease.Attempt, Generation = lease.Generation };
        Task WriteState(int chunksDone, string state) =>
            blobs.PutAsync(StateContainer, $"{folder}.json", BinaryData.FromString($"{{\"state\":\"{state}\",\"chunksDone\":{chunksDone}}}"), "application/json", cancellationToken);

        var start = Stopwatch.StartNew();
        await job.ReportAsync(Report(ProgressKind.Started, 0));
        await foreach (var _ in blobs.ListAsync(container, $"{folder}/chunks/", cancellationToken)) { } // resume point
        stats.VideoStart(start.Elapsed.TotalMilliseconds);

        var writes = new ChunkWriteBehind();
        Stopwatch? idle = null;
        for (int c = 0; c < chunksPerVideo; c++)
        {
            if (idle is not null) stats.DeviceIdleBetweenChunks(idle.Elapsed.TotalMilliseconds);
            var bytes = await engine.RenderChunkAsync(lease.ItemIndex * 1000 + c, cancellationToken);
            idle = Stopwatch.StartNew();
            _ = FarmQueue.Partition(grains, lease.Partition).RenewAsync(lease.LeaseId); // looked at by the next chunk in production
            int done = c + 1;
            await writes.StartAsync(async () =>
            {
                await blobs.PutAsync(container, $"{folder}/chunks/{done - 1:D4}.bin", BinaryData.FromBytes(bytes), "application/octet-stream", cancellationToken);
                await WriteState(done, "rendering");
                await job.NotifyAsync(Report(ProgressKind.Chunk, done));
            });
        }

        var finish = Stopwatch.StartNew();
        await writes.FlushAsync();
        await blobs.PutAsync(container, $"{folder}/metadata.json", BinaryData.FromString($"{{\"id\":\"{videoId}\"}}"), "application/json", cancellationToken);
        await blobs.AppendAsync(container, $"{lease.JobId}/results.jsonl", BinaryData.FromString($"{{\"id\":\"{videoId}\"}}\n"), cancellationToken);
        await WriteState(chunksPerVideo, "completed");
        var completed = Report(ProgressKind.Completed, chunksPerVideo);
        await job.NotifyAsync(completed);
        await queue.EndAsync(lease, LeaseOutcome.Done, null, final: completed);
        stats.VideoFinish(finish.Elapsed.TotalMilliseconds);
        stats.VideoDone();
    }
}
