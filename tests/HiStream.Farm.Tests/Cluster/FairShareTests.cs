using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Within one priority, jobs take turns: a small job submitted after a big one is not starved by it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FairShareTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task ASmallJobSubmittedAfterABigOneOfTheSamePriorityIsServedAtOnce()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], o => o.QueuePartitions = 3, settingsOverride: FarmCluster.LatentsOnly);
        var submitter = farm.Submitter();
        await submitter.SubmitAsync(Prompts.Job("big"), ManifestSources.Inline(Prompts.Items(16)), default);
        await farm.WaitForStatusAsync("big", s => s.Completed >= 1, TimeSpan.FromMinutes(2));
        var smallSubmitted = DateTimeOffset.UtcNow;
        await submitter.SubmitAsync(Prompts.Job("small"), ManifestSources.Inline(Prompts.Items(3)), default);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("small", TimeSpan.FromMinutes(3))).State);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("big", TimeSpan.FromMinutes(4))).State);

        var small = new List<DateTimeOffset>();
        for (int i = 0; i < 3; i++) small.Add((await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"small/{VideoKey.DefaultVideoId("small", i)}")).StartedAt);
        var big = new List<DateTimeOffset>();
        for (int i = 0; i < 16; i++) big.Add((await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"big/{VideoKey.DefaultVideoId("big", i)}")).StartedAt);
        int bigBefore = big.Count(t => t < smallSubmitted);
        int bigInBetween = big.Count(t => t > smallSubmitted && t < small.Max());
        output.WriteLine($"big items started before the small job: {bigBefore}; while it ran: {bigInBetween}; after: {16 - bigBefore - bigInBetween}");
        Assert.True(16 - bigBefore >= 10, "the big job should still have had most of its items queued");
        // First come, first served would start every remaining big item first; taking turns starts about one per small item.
        Assert.InRange(bigInBetween, 0, 5);
    }
}
