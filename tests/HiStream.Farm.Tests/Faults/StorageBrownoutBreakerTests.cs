using Azure;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Workers;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Faults;

/// <summary>The breaker is for a broken device: a storage brownout longer than the retries fails render attempts (the
/// queue retries them with backoff) but leaves the silo ready, so the farm keeps taking work and the job completes
/// once storage is back.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageBrownoutBreakerTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task ChunkWritesFailingPastTheirRetriesFailAttemptsButNeverOpenTheBreaker()
    {
        const string jobId = "brownout";
        const int failedWrites = 3; // more failed attempts in a row than the breaker's threshold
        int chunkWrites = 0;
        var store = new FaultInjectingBlobStore(azurite.CreateStore(), call =>
        {
            if (call.Operation != nameof(FaultInjectingBlobStore.TryCreateAsync) || !call.Name.Contains("/chunks/", StringComparison.Ordinal)) return null;
            return Interlocked.Increment(ref chunkWrites) <= failedWrites ? new RequestFailedException(503, "injected: storage brownout") : null;
        });
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: new Dictionary<string, string?>
        {
            ["Engine:Decode"] = "false",
            ["Farm:FailureBreakerThreshold"] = "2",
            ["Farm:MaxAttempts"] = "5",
            ["Farm:RetryAttempts"] = "1", // each chunk write meets the brownout once: it outlasts the retries
        }, resultStore: store);
        var worker = Assert.Single(farm.Workers);
        var health = farm.Cluster.Silos[0].ServiceProvider.GetRequiredService<SiloHealth>();
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(1)), default);
        var job = farm.Grains.GetGrain<IJobGrain>(jobId);

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        JobStatus status;
        int mostFailuresCounted = 0;
        while (!(status = await job.GetStatusAsync()).IsFinished && DateTime.UtcNow < deadline)
        {
            mostFailuresCounted = Math.Max(mostFailuresCounted, health.FailuresInARow);
            Assert.True(worker.Unhealthy is null, $"the breaker opened on storage failures: {worker.Unhealthy}");
            await Task.Delay(100);
        }
        output.WriteLine($"{status}; chunk writes {Volatile.Read(ref chunkWrites)}");

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(1, status.Completed);
        Assert.True(Volatile.Read(ref chunkWrites) > failedWrites); // every injected fault was met, then storage came back
        Assert.Equal(0, mostFailuresCounted);
        Assert.True(worker.IsReady);
        var retried = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Retrying, TimeSpan.FromSeconds(30));
        Assert.Contains("injected: storage brownout", retried.Message);
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{VideoKey.DefaultVideoId(jobId, 0)}");
        Assert.Equal(failedWrites + 1, meta.Attempts);
    }
}
