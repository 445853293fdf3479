using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Faults;

/// <summary>A silo with a broken device stops eating the queue: after K failures in a row its breaker opens (not
/// ready, no more pulls); a device call past the watchdog deadline fails its video and marks the silo unhealthy. The
/// faults come from the documented injection settings (<c>Farm:FaultInjection</c>), around the real engine.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BreakerTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task ASiloWhoseVideosFailKTimesInARowTurnsNotReadyAndStopsPulling()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: new Dictionary<string, string?>
        {
            ["Farm:FaultInjection:DeviceFails"] = "true",
            ["Farm:FailureBreakerThreshold"] = "2",
        });
        var worker = Assert.Single(farm.Workers);
        Assert.True(worker.IsReady);
        await farm.Submitter().SubmitAsync(Prompts.Job("broken"), ManifestSources.Inline(Prompts.Items(3, frames: 9)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("broken");

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (worker.Unhealthy is null && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2)); // 20 poll intervals: a silo still pulling would have taken more
        var status = await job.GetStatusAsync();
        output.WriteLine($"{status}; silo: {worker.Unhealthy}");
        Assert.Equal(0, status.Rendering);
        Assert.Equal(0, status.Completed);
        Assert.Equal(3, status.Queued + status.Failed); // the failed attempts wait for a retry; everything is left for healthy silos
        Assert.False(worker.IsReady);
        Assert.True(worker.IsLive); // failures are not a hang: no restart needed to diagnose
        Assert.Contains("2 videos failed in a row", worker.Unhealthy);
        Assert.Contains("Fault injection", worker.Unhealthy);
    }

    [Fact]
    public async Task ADeviceCallPastTheWatchdogDeadlineFailsItsVideoAndMarksTheSiloUnhealthy()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1], settingsOverride: new Dictionary<string, string?>
        {
            ["Farm:FaultInjection:DeviceHangs"] = "true",
            ["Farm:DeviceCallTimeout"] = "00:00:02",
        });
        var worker = Assert.Single(farm.Workers);
        await farm.Submitter().SubmitAsync(Prompts.Job("wedged"), ManifestSources.Inline(Prompts.Items(2, frames: 9)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("wedged");

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (worker.Unhealthy is null && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var status = await job.GetStatusAsync();
        output.WriteLine($"{status}; silo: {worker.Unhealthy}");
        Assert.Equal(0, status.Rendering);
        Assert.Equal(2, status.Queued + status.Failed); // the hung attempt waits for a retry elsewhere; the second item was never taken
        Assert.False(worker.IsReady);
        Assert.False(worker.IsLive); // a wedged device needs a restart: liveness fails
        Assert.Contains("watchdog", worker.Unhealthy);
    }
}
