using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Tenants;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Faults;

/// <summary>A state write whose answer is lost (storage restarted mid-request) leaves the grain's ETag behind the stored
/// one. Simulated here by changing the partitions' stored state under them: the next writes fail with a stale ETag, the
/// grains start over from storage, the gateway retries the (idempotent) submit, and every item is queued once, instead
/// of a 500 and then "already submitted" for a job whose items never reached the queue.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LostStateWriteTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task APartitionWhoseStoredStateMovedUnderItRecoversAndTheSubmitQueuesEveryItem()
    {
        var stateContainer = $"state-{Guid.NewGuid():N}"[..20];
        await using var farm = await FarmCluster.StartAsync(azurite, [1], stateContainer: stateContainer,
            settingsOverride: new Dictionary<string, string?> { ["Farm:Render"] = "false" });
        var submitter = farm.Submitter();
        await submitter.SubmitAsync(Prompts.Job("before"), ManifestSources.Inline(Prompts.Items(farm.Farm.QueuePartitions)), default);
        Assert.Equal(farm.Farm.QueuePartitions, (await farm.QueueAsync()).PendingItems);

        // Every partition's stored state gets a new ETag behind the back of its activation.
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(stateContainer);
        var moved = new Dictionary<string, ETag>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "queue-queuepartition", default))
        {
            var client = container.GetBlobClient(blob.Name);
            moved[blob.Name] = (await client.UploadAsync((await client.DownloadContentAsync()).Value.Content, overwrite: true)).Value.ETag;
        }
        Assert.Equal(farm.Farm.QueuePartitions, moved.Count);

        var result = await submitter.SubmitAsync(Prompts.Job("after"), ManifestSources.Inline(Prompts.Items(farm.Farm.QueuePartitions)), default);

        Assert.Equal(SubmitOutcome.Accepted, result.Outcome);
        foreach (var (name, etag) in moved) // each partition wrote again after starting over from what was stored
            Assert.NotEqual(etag, (await container.GetBlobClient(name).GetPropertiesAsync()).Value.ETag);
        var queue = await farm.QueueAsync();
        Assert.Equal(2 * farm.Farm.QueuePartitions, queue.PendingItems); // both jobs' items, none lost, none twice
        var job = farm.Grains.GetGrain<IJobGrain>("after");
        Assert.Equal(JobState.Queued, (await job.GetStatusAsync()).State);
        var manifest = (await job.GetDefinitionAsync())!.Manifest;
        Assert.NotNull(await farm.Blobs.TryReadAsync(manifest.Container, manifest.PageName(0))); // the pages the job reads still exist
    }

    [Fact]
    public async Task AJobWhoseTenantRecordWasLostGetsItWhenSubmittedAgain()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: new Dictionary<string, string?> { ["Farm:Render"] = "false" });
        var submitter = farm.Submitter();
        var items = Prompts.Items(2);
        await submitter.SubmitAsync(Prompts.Job("listed"), ManifestSources.Inline(items), default);
        // The job grain took "unlisted" but the tenant's record of it was never written (as when that write fails
        // after the job was accepted).
        var stored = (await farm.Grains.GetGrain<IJobGrain>("listed").GetDefinitionAsync())!;
        await farm.Grains.GetGrain<IJobGrain>("unlisted").SubmitAsync(stored with { JobId = "unlisted" });
        var tenant = farm.Grains.GetGrain<ITenantGrain>(ITenantGrain.NoTenant);
        Assert.DoesNotContain("unlisted", await tenant.GetJobsAsync(0, 100));

        var again = await submitter.SubmitAsync(Prompts.Job("unlisted"), ManifestSources.Inline(items), default);

        Assert.Equal(SubmitOutcome.AlreadySubmitted, again.Outcome);
        Assert.Contains("unlisted", await tenant.GetJobsAsync(0, 100));
        Assert.Contains("unlisted", await tenant.GetActiveJobsAsync());
    }
}
