using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Videos;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>An item whose start fails with an error a retry cannot fix costs an attempt each time and then fails for
/// good with its error, instead of going back to the queue once a second forever; the other items leased with it
/// still render.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StartFailureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AStartThatCannotSucceedFailsTheItemAfterItsAttemptsAndTheOthersRender()
    {
        const string jobId = "startfail";
        var badVideo = VideoKey.DefaultVideoId(jobId, 1);
        int badStarts = 0;
        // The video's start asks whether its outputs are finished: for item 1 the store rejects the name.
        var store = new FaultInjectingBlobStore(azurite.CreateStore(), call =>
        {
            if (call.Operation != nameof(FaultInjectingBlobStore.ExistsAsync) || !call.Name.EndsWith($"/{badVideo}/{VideoOutputs.MetadataFile}", StringComparison.Ordinal)) return null;
            Interlocked.Increment(ref badStarts);
            return new ArgumentException("injected: the store rejects this name");
        });
        await using var farm = await FarmCluster.StartAsync(azurite, [3], o => o.MaxAttempts = 2, settingsOverride: FarmCluster.LatentsOnly, resultStore: store);
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(3)), default);

        var done = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        Assert.Equal(JobState.CompletedWithFailures, done.State);
        Assert.Equal((2, 1, 0, 0), (done.Completed, done.Failed, done.Skipped, done.Cancelled));
        var job = farm.Grains.GetGrain<IJobGrain>(jobId);
        var failure = Assert.Single((await job.GetFailuresAsync(0, 10)).Items);
        Assert.Equal(1, failure.Index);
        Assert.Equal(2, failure.Attempts);
        Assert.Contains("injected: the store rejects this name", failure.Error);
        Assert.Equal(2, Volatile.Read(ref badStarts)); // one start per attempt, not a start a second
        var retried = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Retrying && e.ItemIndex == 1, TimeSpan.FromSeconds(30));
        Assert.Contains("attempt 1 of 2 failed: could not start", retried.Message);
        foreach (var item in new[] { 0, 2 })
            Assert.Equal(1, (await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{VideoKey.DefaultVideoId(jobId, item)}")).Attempts);
        var queue = await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((0, 0L), (queue.LeasedItems, queue.PendingItems));
    }
}
