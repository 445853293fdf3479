using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Pause and resume, a priority change and a deadline, on a one-slot silo.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class JobControlTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task PauseResumePriorityAndDeadlineSteerTheQueue()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: FarmCluster.LatentsOnly);
        var submitter = farm.Submitter();

        // Pause: another job runs while the paused one waits; resume: it finishes.
        await submitter.SubmitAsync(Prompts.Job("paused"), ManifestSources.Inline(Prompts.Items(4)), default);
        var paused = await farm.Grains.GetGrain<IJobGrain>("paused").SetPausedAsync(true);
        Assert.True(paused.Paused);
        await submitter.SubmitAsync(Prompts.Job("meanwhile"), ManifestSources.Inline(Prompts.Items(2)), default);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("meanwhile", TimeSpan.FromMinutes(2))).State);
        var waiting = await farm.Grains.GetGrain<IJobGrain>("paused").GetStatusAsync();
        Assert.True(waiting.Queued >= 3, $"a paused job starts nothing new: {waiting}");
        await farm.Grains.GetGrain<IJobGrain>("paused").SetPausedAsync(false);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("paused", TimeSpan.FromMinutes(2))).State);

        // Priority: a job queued below another jumps ahead of it once raised.
        await submitter.SubmitAsync(Prompts.Job("low"), ManifestSources.Inline(Prompts.Items(5, frames: 1 + 4 * 8)), default);
        await JobEvents.WaitForAsync(farm.Grains.GetGrain<IJobGrain>("low"), e => e.Kind == ProgressKind.Started, TimeSpan.FromMinutes(2));
        await submitter.SubmitAsync(Prompts.Job("raised", priority: -5), ManifestSources.Inline(Prompts.Items(2)), default);
        var raisedAt = DateTimeOffset.UtcNow;
        Assert.Equal(10, (await farm.Grains.GetGrain<IJobGrain>("raised").SetPriorityAsync(10)).Priority);
        await farm.WaitForJobAsync("raised", TimeSpan.FromMinutes(2));
        await farm.WaitForJobAsync("low", TimeSpan.FromMinutes(3));
        var raisedLast = new List<DateTimeOffset>();
        for (int i = 0; i < 2; i++) raisedLast.Add((await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"raised/{VideoKey.DefaultVideoId("raised", i)}")).StartedAt);
        int lowBetween = 0;
        for (int i = 0; i < 5; i++)
        {
            var start = (await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"low/{VideoKey.DefaultVideoId("low", i)}")).StartedAt;
            if (start > raisedAt && start < raisedLast.Max()) lowBetween++;
        }
        output.WriteLine($"low items started between the priority change and the raised job's last start: {lowBetween}");
        Assert.InRange(lowBetween, 0, 1); // at priority -5 it would have waited for all of them

        // Deadline: what has not started by then fails with a clear error; what runs finishes.
        await submitter.SubmitAsync(Prompts.Job("deadline"), ManifestSources.Inline(Prompts.Items(4, frames: 1 + 4 * 8)), default);
        var deadlineJob = farm.Grains.GetGrain<IJobGrain>("deadline");
        await JobEvents.WaitForAsync(deadlineJob, e => e.Kind == ProgressKind.Chunk, TimeSpan.FromMinutes(2));
        var set = await deadlineJob.SetDeadlineAsync(DateTimeOffset.UtcNow);
        Assert.NotNull(set.Deadline);
        var done = await farm.WaitForJobAsync("deadline", TimeSpan.FromMinutes(2));
        output.WriteLine($"deadline job: {done.Completed} completed, {done.Failed} failed");
        Assert.Equal(JobState.CompletedWithFailures, done.State);
        Assert.Equal(4, done.Completed + done.Failed);
        Assert.InRange(done.Completed, 1, 2);
        var failures = await deadlineJob.GetFailuresAsync(0, 10);
        Assert.Equal(done.Failed, failures.Total);
        Assert.All(failures.Items, f => Assert.Contains("deadline", f.Error));
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).PendingItems);
    }
}
