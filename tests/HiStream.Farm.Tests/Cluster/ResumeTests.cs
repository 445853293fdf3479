using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Engine.Pipeline;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Workers;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A silo that shuts down mid-render checkpoints at a chunk boundary and gives the video back; another silo
/// resumes it from the stored chunk latents, and the result equals an uninterrupted render.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ResumeTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task AVideoMovesToAnotherSiloWhenItsSiloDrainsAndResumesFromItsLastChunk()
    {
        await using var farm = await FarmCluster.StartAsync(azurite, [1, 1]);
        var item = new ItemSpec { Prompt = "a steam train crossing a bridge", Seed = 42, Size = "32x32", Frames = 1 + 4 * 23 }; // 8 chunks
        await farm.Submitter().SubmitAsync(Prompts.Job("drained"), ManifestSources.Inline([item]), default);
        var job = farm.Grains.GetGrain<IJobGrain>("drained");
        var second = await JobEvents.WaitForAsync(job, e => e.Kind == ProgressKind.Chunk && e.ChunksDone >= 2, TimeSpan.FromMinutes(2));

        var handle = farm.Cluster.Silos.Single(s => s.ServiceProvider.GetRequiredService<RenderWorker>().SiloName == second.Silo);
        await farm.Cluster.StopSiloAsync(handle); // graceful: the worker drains before the silo leaves
        var status = await farm.WaitForJobAsync("drained", TimeSpan.FromMinutes(3));
        Assert.Equal(JobState.Completed, status.State);

        var videoId = VideoKey.DefaultVideoId("drained", 0);
        var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"drained/{videoId}");
        output.WriteLine(string.Join(" ", meta.Chunks.Select(c => $"{c.Index}@{c.Silo}")));
        Assert.Equal(Enumerable.Range(0, 8), meta.Chunks.Select(c => c.Index));
        Assert.Equal(2, meta.Chunks.Select(c => c.Silo).Distinct().Count());
        Assert.Equal(second.Silo, meta.Chunks[0].Silo);
        Assert.NotEqual(second.Silo, meta.Chunks[^1].Silo);
        Assert.True(meta.Attempts >= 2);

        // The same item rendered without interruption gives the same latents for every chunk.
        await farm.Submitter().SubmitAsync(Prompts.Job("straight"), ManifestSources.Inline([item]), default);
        Assert.Equal(JobState.Completed, (await farm.WaitForJobAsync("straight", TimeSpan.FromMinutes(3))).State);
        var straightId = VideoKey.DefaultVideoId("straight", 0);
        for (int c = 0; c < 8; c++)
        {
            var a = ChunkLatentsFile.Read((await farm.Blobs.TryReadAsync(farm.ResultsContainer, $"drained/{videoId}/chunks/{c:D4}.safetensors"))!.ToMemory().Span);
            var b = ChunkLatentsFile.Read((await farm.Blobs.TryReadAsync(farm.ResultsContainer, $"straight/{straightId}/chunks/{c:D4}.safetensors"))!.ToMemory().Span);
            Assert.Equal(b.Data, a.Data);
        }
    }
}
