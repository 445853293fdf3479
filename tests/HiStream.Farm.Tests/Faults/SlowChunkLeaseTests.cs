using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Faults;

/// <summary>A chunk slower than the lease but within the watchdog keeps its lease: the video renews it while the
/// device works, so the item is never handed to another silo and its render is never superseded.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SlowChunkLeaseTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task AChunkThreeTimesLongerThanTheLeaseRendersOnceOnItsFirstAttempt()
    {
        const string jobId = "slowchunk";
        var lease = TimeSpan.FromSeconds(3);
        await using var farm = await FarmCluster.StartAsync(azurite, [1, 1], settingsOverride: new Dictionary<string, string?>
        {
            ["Engine:Decode"] = "false",
            ["Farm:LeaseDuration"] = lease.ToString(),
            ["Farm:LeaseRenewInterval"] = "00:00:00.500",
            ["Farm:FaultInjection:ChunkDelay"] = (lease * 3).ToString(), // each device call, the open aside
        });
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(1)), default);

        var done = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        var events = (await farm.Grains.GetGrain<IJobGrain>(jobId).GetEventsAsync(0, 1000, TimeSpan.Zero)).Events;
        output.WriteLine($"{done}\n{string.Join("\n", events.Select(e => $"{e.Kind} {e.Silo} {e.Message}"))}");
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(1, done.Completed);
        Assert.Single(events, e => e.Kind == ProgressKind.Started); // never started again elsewhere
        Assert.DoesNotContain(events, e => e.Kind == ProgressKind.Retrying);
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{VideoKey.DefaultVideoId(jobId, 0)}");
        Assert.Equal(1, meta.Attempts);
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).LeasedItems);
    }
}
