using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Rendering;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Rendering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A video holds its lease while its device call runs, until the watchdog: a call that hangs keeps the lease
/// past <c>Farm:LeaseDuration</c>, then the watchdog fails the video, its lease ends as failed, and the item renders
/// again elsewhere with its next attempt.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LeaseExpiryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AHungDeviceCallHoldsItsLeaseUntilTheWatchdogAndTheVideoRendersAgainElsewhere()
    {
        var hang = new HangOnce();
        await using var farm = await FarmCluster.StartAsync(azurite, [1, 1], o =>
            {
                o.LeaseDuration = TimeSpan.FromSeconds(3);
                o.LeaseRenewInterval = TimeSpan.FromMilliseconds(500);
                o.DeviceCallTimeout = TimeSpan.FromSeconds(9); // three leases long
            }, settingsOverride: FarmCluster.LatentsOnly,
            services: (_, s) => s.Replace(ServiceDescriptor.Singleton<IRenderEngine>(sp => new HangingEngine(sp.GetRequiredService<TorchRenderEngine>(), hang))));
        await farm.Submitter().SubmitAsync(Prompts.Job("hung"), ManifestSources.Inline(Prompts.Items(2)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("hung");
        var second = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Started && e.Message?.Contains("attempt 2 of 3") == true, TimeSpan.FromMinutes(2));

        var done = await farm.WaitForJobAsync("hung", TimeSpan.FromMinutes(2));
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(2, done.Completed);
        Assert.True(hang.Hung);
        // The first attempt ended at the watchdog, not by the lease's expiry.
        var retried = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Retrying && e.VideoId == second.VideoId, TimeSpan.FromSeconds(30));
        Assert.Contains("watchdog", retried.Message);
        Assert.NotEqual(retried.Silo, second.Silo);
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"hung/{second.VideoId}");
        Assert.Equal(2, meta.Attempts);
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).LeasedItems);
    }

    private sealed class HangOnce
    {
        private int _taken;
        public bool Hung => Volatile.Read(ref _taken) == 1;
        public bool Take() => Interlocked.Exchange(ref _taken, 1) == 0;
    }

    /// <summary>The real engine, except that the first chunk of the first video on any silo never returns (until cancelled).</summary>
    private sealed class HangingEngine(IRenderEngine inner, HangOnce hang) : IRenderEngine
    {
        public Task<EngineInfo> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

        public async Task<IRenderSession> OpenAsync(RenderSettings settings, IReadOnlyList<ChunkLatents> finishedChunks, CancellationToken cancellationToken)
        {
            var session = await inner.OpenAsync(settings, finishedChunks, cancellationToken);
            return hang.Take() ? new HungSession(session) : session;
        }

        private sealed class HungSession(IRenderSession inner) : IRenderSession
        {
            public int ChunkCount => inner.ChunkCount;

            public async Task<RenderedChunk?> NextAsync(CancellationToken cancellationToken)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return null;
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
