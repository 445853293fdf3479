using Azure;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A queue partition whose write of a lease grant fails puts the item back with its attempt, and the leases
/// other partitions granted in the same round still start: a storage brownout at one partition costs no item an
/// attempt (here each item has one, so a lost lease would fail it when it expires).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LeaseGrantFailureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AGrantWhoseWriteFailsIsGivenBackAndTheOtherPartitionsLeasesStart()
    {
        const string jobId = "grantfail";
        int failedWrites = 0;
        await using var farm = await FarmCluster.StartAsync(azurite, [2], o =>
        {
            o.QueuePartitions = 2;
            o.MaxAttempts = 1;
            o.LeaseDuration = TimeSpan.FromSeconds(10);
        }, settingsOverride: FarmCluster.LatentsOnly, services: (_, s) => FaultInjectingGrainStorage.Decorate(s, FarmStorage.Name, state =>
            state is QueuePartitionState queue && queue.Leases.Values.Any(l => l.JobId == jobId && l.ItemIndex == 0) && Interlocked.Exchange(ref failedWrites, 1) == 0
                ? new RequestFailedException(503, "injected: storage brownout")
                : null));
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(2)), default);

        var done = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        Assert.Equal(1, Volatile.Read(ref failedWrites)); // the grant of item 0 was not stored once
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal((2, 0), (done.Completed, done.Failed));
        foreach (var item in new[] { 0, 1 })
            Assert.Equal(1, (await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{VideoKey.DefaultVideoId(jobId, item)}")).Attempts);
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).LeasedItems);
    }
}
