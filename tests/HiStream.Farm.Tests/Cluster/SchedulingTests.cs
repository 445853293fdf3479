using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Priority order, cancellation within one chunk, and slots freed by a cancel, on a real cluster.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SchedulingTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task AHigherPriorityJobSubmittedLaterStartsBeforeQueuedLowerPriorityItems()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1]);
        var submitter = farm.Submitter();
        var low = await submitter.SubmitAsync(Prompts.Job("low", priority: 0), ManifestSources.Inline(Prompts.Items(5, frames: 21)), default);
        await JobEvents.WaitForAsync(farm.Grains.GetGrain<IJobGrain>("low"), e => e.Kind == ProgressKind.Started, TimeSpan.FromMinutes(2));
        var highSubmittedAt = DateTimeOffset.UtcNow;
        var high = await submitter.SubmitAsync(Prompts.Job("high", priority: 10), ManifestSources.Inline(Prompts.Items(2, frames: 9)), default);
        Assert.Equal(SubmitOutcome.Accepted, high.Outcome);

        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("high", TimeSpan.FromMinutes(4))).State);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("low", TimeSpan.FromMinutes(4))).State);

        var starts = new List<(string Job, int Item, DateTimeOffset Start)>();
        foreach (var (job, count) in new[] { ("low", 5), ("high", 2) })
            for (int i = 0; i < count; i++)
                starts.Add((job, i, (await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{job}/{VideoKey.DefaultVideoId(job, i)}")).StartedAt));
        var order = starts.OrderBy(s => s.Start).ToList();
        output.WriteLine(string.Join(" ", order.Select(s => $"{s.Job}{s.Item}")));
        int lowBefore = order.Count(s => s.Job == "low" && s.Start < highSubmittedAt);
        Assert.InRange(lowBefore, 1, 4); // at least one low item was still queued when the high job came
        Assert.All(order.Skip(lowBefore).Take(2), s => Assert.Equal("high", s.Job));
        Assert.Equal(Enumerable.Range(0, 5), order.Where(s => s.Job == "low").Select(s => s.Item)); // first-come within a priority
    }

    [Fact]
    public async Task CancellingAVideoStopsItWithinOneChunkAndFreesItsSlot()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1]);
        // Item 0: 18 latent frames = 6 chunks. Item 1 waits for the only slot.
        var items = Prompts.Items(2, frames: 9);
        items[0].Frames = 1 + 4 * 17;
        var job = await farm.Submitter().SubmitAsync(Prompts.Job("cancel-video"), ManifestSources.Inline(items), default);
        var jobGrain = farm.Grains.GetGrain<IJobGrain>("cancel-video");
        var videoId = VideoKey.DefaultVideoId("cancel-video", 0);
        var video = farm.Grains.GetGrain<IVideoGrain>(VideoKey.GrainKey("cancel-video", videoId));

        await JobEvents.WaitForAsync(jobGrain, e => e.ItemIndex == 0 && e.Kind == ProgressKind.Chunk && e.ChunksDone >= 2, TimeSpan.FromMinutes(2));
        var atCancel = await video.CancelAsync();
        output.WriteLine($"cancelled at {atCancel.ChunksDone}/{atCancel.ChunksTotal} chunks");
        Assert.Equal(6, atCancel.ChunksTotal);

        var status = await farm.WaitForJobAsync("cancel-video", TimeSpan.FromMinutes(3));
        Assert.Equal(1, status.Cancelled);
        Assert.Equal(1, status.Completed); // the freed slot rendered the next item
        var final = await video.GetStatusAsync();
        Assert.Equal(VideoState.Cancelled, final.State);
        Assert.InRange(final.ChunksDone, atCancel.ChunksDone, atCancel.ChunksDone + 1);
        Assert.False(await farm.Blobs.ExistsAsync(farm.ResultsContainer, $"cancel-video/{videoId}/metadata.json"));
        Assert.True(await farm.Blobs.ExistsAsync(farm.ResultsContainer, $"cancel-video/{VideoKey.DefaultVideoId("cancel-video", 1)}/metadata.json"));
        Assert.Equal(0, farm.Workers[0].Busy);
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).LeasedItems);
    }

    [Fact]
    public async Task CancellingAJobDropsQueuedItemsAndStopsTheRenderingOne()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1]);
        await farm.Submitter().SubmitAsync(Prompts.Job("cancel-job"), ManifestSources.Inline(Prompts.Items(4, frames: 1 + 4 * 11)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("cancel-job");
        await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Chunk, TimeSpan.FromMinutes(2));
        var cancelled = await job.CancelAsync();
        Assert.Equal(JobState.Cancelled, cancelled.State);

        var status = await farm.WaitForJobAsync("cancel-job", TimeSpan.FromMinutes(2));
        Assert.Equal(JobState.Cancelled, status.State);
        Assert.Equal(4, status.Cancelled + status.Completed);
        Assert.Equal(0, status.Rendering);
        var queue = await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, queue.PendingItems);
        Assert.Equal(0, queue.LeasedItems);
        Assert.Equal(0, farm.Workers[0].Busy);
        var first = await farm.Grains.GetGrain<IVideoGrain>(VideoKey.GrainKey("cancel-job", VideoKey.DefaultVideoId("cancel-job", 0))).GetStatusAsync();
        Assert.Equal(VideoState.Cancelled, first.State);
        Assert.True(first.ChunksDone < first.ChunksTotal);
    }
}
