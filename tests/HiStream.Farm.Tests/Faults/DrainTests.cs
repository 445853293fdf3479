using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Workers;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Faults;

/// <summary>A drain whose grace ends mid-chunk abandons the chunk: the silo stops without waiting for it and the
/// video resumes on another silo from its last stored chunk (a slow device, <c>Farm:FaultInjection:ChunkDelay</c>,
/// makes each chunk outlast the grace).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DrainTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task ADrainPastItsGraceAbandonsTheChunkInFlightAndTheVideoResumesElsewhere()
    {
        var chunkDelay = TimeSpan.FromSeconds(8);
        await using var farm = await FarmCluster.StartAsync(azurite, [1, 1], o => o.DrainTimeout = TimeSpan.FromSeconds(1),
            settingsOverride: new Dictionary<string, string?> { ["Farm:FaultInjection:ChunkDelay"] = chunkDelay.ToString() });
        var item = new ItemSpec { Prompt = "a tram in the rain", Seed = 5, Size = "32x32", Frames = 1 + 4 * 5 }; // 2 chunks
        await farm.Submitter().SubmitAsync(Prompts.Job("grace"), ManifestSources.Inline([item]), default);
        var first = await JobEvents.WaitForAsync(farm.Grains.GetGrain<IJobGrain>("grace"), e => e.Kind == ProgressKind.Chunk && e.ChunksDone == 1, TimeSpan.FromMinutes(2));

        // Chunk 1 has just begun its 8 s; the grace is 1 s.
        var handle = farm.Cluster.Silos.Single(s => s.ServiceProvider.GetRequiredService<RenderWorker>().SiloName == first.Silo);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await farm.Cluster.StopSiloAsync(handle);
        output.WriteLine($"silo stopped {clock.Elapsed.TotalSeconds:F1} s after the drain began (grace 1 s, chunk {chunkDelay.TotalSeconds} s)");

        var status = await farm.WaitForJobAsync("grace", TimeSpan.FromMinutes(3));
        Assert.Equal(JobState.Completed, status.State);
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"grace/{HiStream.Abstractions.Videos.VideoKey.DefaultVideoId("grace", 0)}");
        output.WriteLine(string.Join(" ", meta.Chunks.Select(c => $"{c.Index}:{c.Silo}")));
        Assert.Equal(first.Silo, meta.Chunks[0].Silo);
        Assert.NotEqual(first.Silo, meta.Chunks[1].Silo); // chunk 1 was abandoned at the grace, not finished there
        Assert.True(clock.Elapsed > TimeSpan.Zero);
    }
}
