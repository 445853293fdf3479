using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Outcome reports are counted once per item and attempt, and a resubmitted job always finishes.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class JobAccountingTests(AzuriteFixture azurite)
{
    private static VideoReport Report(int item, ProgressKind kind, int attempt = 1, string? message = null, int generation = 0) =>
        new(item, VideoKey.DefaultVideoId("acct", item), kind, 0, 1, 0, "test", message) { Attempt = attempt, Generation = generation };

    [Fact]
    public async Task RepeatedLateAndStaleReportsAreCountedOnce()
    {
        // A silo with no slots: the items stay queued and the test is the only reporter.
        await using var farm = await FarmCluster.StartAsync(azurite, [0]);
        await farm.Submitter().SubmitAsync(Prompts.Job("acct"), ManifestSources.Inline(Prompts.Items(3)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("acct");

        Assert.True(await job.ReportAsync(Report(0, ProgressKind.Started)));
        await job.ReportAsync(Report(0, ProgressKind.Completed));
        await job.ReportAsync(Report(0, ProgressKind.Completed)); // a retried report
        await job.ReportAsync(Report(0, ProgressKind.Failed, message: "the completed report timed out")); // today's bug: counted again as failed
        Assert.False(await job.ReportAsync(Report(0, ProgressKind.Started, attempt: 2))); // a duplicate lease of an ended item is told to stop

        await job.ReportAsync(Report(1, ProgressKind.Started));
        await job.ReportAsync(Report(1, ProgressKind.Retrying, message: "attempt 1 of 2 failed: boom"));
        var status = await job.GetStatusAsync();
        Assert.Equal((1, 0), (status.Completed, status.Failed)); // a retry is not a failure
        await job.ReportAsync(Report(1, ProgressKind.Started, attempt: 2));
        await job.ReportAsync(Report(1, ProgressKind.Failed, attempt: 2, message: "boom"));
        await job.QueueEndedItemAsync(Report(1, ProgressKind.Failed, attempt: 2, message: "lease expired")); // the queue says so too

        Assert.False(await job.ReportAsync(Report(2, ProgressKind.Completed, generation: 7))); // not this submission's
        await job.ReportAsync(Report(2, ProgressKind.Skipped));

        var done = await farm.WaitForJobAsync("acct", TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.CompletedWithFailures, done.State);
        Assert.Equal((1, 1, 1, 0), (done.Completed, done.Skipped, done.Failed, done.Cancelled));
        var failures = await job.GetFailuresAsync(0, 10);
        var failure = Assert.Single(failures.Items);
        Assert.Equal((1, "boom", 2), (failure.Index, failure.Error, failure.Attempts));
    }

    [Fact]
    public async Task AResubmittedCancelledJobFinishesAndAFinishedOneIsLeftAlone()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: FarmCluster.LatentsOnly);
        var items = Prompts.Items(3, frames: 1 + 4 * 11); // 12 latent frames: 4 chunks each
        await farm.Submitter().SubmitAsync(Prompts.Job("again"), ManifestSources.Inline(items), default);
        var job = farm.Grains.GetGrain<IJobGrain>("again");
        await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Chunk, TimeSpan.FromMinutes(2));
        await job.CancelAsync();
        var cancelled = await farm.WaitForJobAsync("again", TimeSpan.FromMinutes(2));
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(3, cancelled.Cancelled + cancelled.Completed);

        var resubmitted = await farm.Submitter().SubmitAsync(Prompts.Job("again"), ManifestSources.Inline(Prompts.Items(3, frames: 1 + 4 * 11)), default);
        Assert.Equal(SubmitOutcome.Accepted, resubmitted.Outcome);
        Assert.Equal(1, resubmitted.Status.Generation);
        var done = await farm.WaitForJobAsync("again", TimeSpan.FromMinutes(4));
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(3, done.Completed + done.Skipped);
        Assert.Equal(0, done.Failed + done.Cancelled);
        for (int i = 0; i < 3; i++)
            Assert.True(await farm.Blobs.ExistsAsync(farm.ResultsContainer, $"again/{VideoKey.DefaultVideoId("again", i)}/metadata.json"));

        var third = await farm.Submitter().SubmitAsync(Prompts.Job("again"), ManifestSources.Inline(Prompts.Items(3, frames: 1 + 4 * 11)), default);
        Assert.Equal(SubmitOutcome.AlreadySubmitted, third.Outcome);
        Assert.Equal(JobState.Completed, third.Status.State);
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).PendingItems);
    }
}
