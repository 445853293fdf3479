using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using HiStream.Abstractions.Queue;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A queue partition whose state write fails keeps its change in memory, marked unsaved: the caller's retry
/// finds nothing left to change and still writes, so the lease's end is stored rather than lost with the activation.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PartitionWriteRetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ALeaseEndWhoseWriteFailedIsStoredByItsRetry()
    {
        int armed = 0;
        var stateContainer = $"state-{Guid.NewGuid():N}"[..20];
        // No silo renders: the test holds the lease. The partition's timers stay out of the way (they would write too).
        await using var farm = await FarmCluster.StartAsync(azurite, [0], o =>
        {
            o.QueuePartitions = 1;
            o.LeaseDuration = TimeSpan.FromMinutes(5);
            o.LeaseRenewInterval = TimeSpan.FromMinutes(1);
            o.OutcomeRedelivery = TimeSpan.FromMinutes(1);
        }, stateContainer: stateContainer,
            services: (_, s) => FaultInjectingGrainStorage.Decorate(s, FarmStorage.Name, state =>
                state is QueuePartitionState && Interlocked.Exchange(ref armed, 0) == 1 ? new RequestFailedException(503, "injected: storage brownout") : null));
        await farm.Submitter().SubmitAsync(Prompts.Job("unsaved"), ManifestSources.Inline(Prompts.Items(1)), default);
        var partition = FarmQueue.Partition(farm.Grains, 0);
        var lease = Assert.Single(await partition.TryLeaseAsync(new LeaseRequest("test-silo", 1, long.MaxValue, long.MaxValue)));
        Assert.True(await StoredStateMentionsAsync(lease.LeaseId));

        var end = new LeaseEnd(lease.LeaseId, lease.JobId, lease.ItemIndex, LeaseOutcome.Done, null);
        Volatile.Write(ref armed, 1);
        await Assert.ThrowsAnyAsync<Exception>(() => partition.EndLeaseAsync(end));
        Assert.Equal(0, Volatile.Read(ref armed)); // the fault was met
        Assert.True(await StoredStateMentionsAsync(lease.LeaseId));

        await partition.EndLeaseAsync(end); // the retry: the lease is already gone from memory

        Assert.False(await StoredStateMentionsAsync(lease.LeaseId));

        async Task<bool> StoredStateMentionsAsync(string text)
        {
            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(stateContainer);
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "queue-queuepartition", default))
                return (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString().Contains(text, StringComparison.Ordinal);
            throw new Xunit.Sdk.XunitException("the partition's state was never stored");
        }
    }
}
