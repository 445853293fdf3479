using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A failing video is retried automatically up to its attempt budget, then fails for good with its error;
/// a user's retry queues exactly those again.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task FailedItemsAreRetriedUpToTheirAttemptsThenListedWithTheirErrorsAndRetriedByTheUser()
    {
        // An ffmpeg that fails while a flag file exists: the first attempt of every video fails writing its frames.
        var dir = Directory.CreateTempSubdirectory("histream-ffmpeg-");
        var flag = Path.Combine(dir.FullName, "fail");
        var script = Path.Combine(dir.FullName, "ffmpeg");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\nif [ -e '{flag}' ]; then echo 'encoder unavailable' >&2; exit 1; fi\nexec ffmpeg \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(flag, "");

        await using var farm = await FarmCluster.StartAsync(azurite, [2], o =>
        {
            o.Ffmpeg = script;
            o.MaxAttempts = 2;
            o.FailureBreakerThreshold = 0; // six failures in a row on the one silo are the point here, not a broken device (BreakerTests)
        });
        await farm.Submitter().SubmitAsync(Prompts.Job("flaky"), ManifestSources.Inline(Prompts.Items(3)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("flaky");
        var failed = await farm.WaitForJobAsync("flaky", TimeSpan.FromMinutes(2));
        Assert.Equal(JobState.CompletedWithFailures, failed.State);
        Assert.Equal(3, failed.Failed);
        var failedItems = await job.GetFailedItemsAsync(0, 10);
        Assert.Equal(new[] { 0, 1, 2 }, failedItems);
        var failures = await job.GetFailuresAsync(0, 10);
        Assert.Equal(3, failures.Total);
        Assert.All(failures.Items, f => Assert.Equal(2, f.Attempts)); // failed, backed off, failed again: then for good
        Assert.All(failures.Items, f => Assert.Contains("encoder unavailable", f.Error));
        var retried = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Retrying, TimeSpan.FromSeconds(30));
        Assert.Contains("attempt 1 of 2 failed", retried.Message);
        var video = await farm.Grains.GetGrain<IVideoGrain>(VideoKey.GrainKey("flaky", VideoKey.DefaultVideoId("flaky", 1))).GetStatusAsync();
        Assert.Equal(VideoState.Failed, video.State);
        Assert.Contains("encoder unavailable", video.Error);

        File.Delete(flag);
        Assert.Equal(3, await job.RetryFailedAsync());
        Assert.Equal(0, await job.RetryFailedAsync()); // nothing failed is left to queue
        var done = await farm.WaitForJobAsync("flaky", TimeSpan.FromMinutes(2));
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal((3, 0), (done.Completed, done.Failed));
        Assert.Empty(await job.GetFailedItemsAsync(0, 10));
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"flaky/{VideoKey.DefaultVideoId("flaky", 1)}");
        Assert.Equal(3, meta.Attempts); // two automatic attempts, then the user's retry
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task AJobCancelledWhileItsItemsWaitForARetryFinishesCancelled()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [2], o =>
        {
            o.MaxAttempts = 3;
            o.RetryBackoff = TimeSpan.FromMinutes(10); // the failed attempts wait: the cancel comes during the backoff
            o.RetryBackoffMax = TimeSpan.FromMinutes(10);
            o.FailureBreakerThreshold = 0;
        }, settingsOverride: new Dictionary<string, string?> { ["Farm:FaultInjection:DeviceFails"] = "true" });
        await farm.Submitter().SubmitAsync(Prompts.Job("backoff"), ManifestSources.Inline(Prompts.Items(2)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("backoff");
        var waiting = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((await farm.QueueAsync()).Retrying < 2)
        {
            Assert.True(DateTime.UtcNow < waiting, "the two failed attempts never waited for a retry");
            await Task.Delay(100);
        }

        await job.CancelAsync();

        var cancelled = await farm.WaitForJobAsync("backoff", TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal((2, 0, 0), (cancelled.Cancelled, cancelled.Failed, cancelled.Completed));
        Assert.Equal(0, (await farm.QueueAsync()).PendingItems);
    }
}
