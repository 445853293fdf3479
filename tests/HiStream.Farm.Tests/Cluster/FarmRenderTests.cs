using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Engine.Pipeline;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Videos;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A 3-silo cluster renders a 12-prompt job with the tiny model into Azurite, each silo within its slots;
/// the same job submitted again writes nothing.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FarmRenderTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task TwelvePromptsRenderOnThreeSilosWithinTheirSlots()
    {
        int[] slots = [1, 2, 1];
        await using var farm = await FarmCluster.StartAsync(azurite, slots);
        var items = Prompts.Items(12);
        var started = DateTime.UtcNow;
        var submitted = await farm.Submitter().SubmitAsync(Prompts.Job(), ManifestSources.Inline(items), default);
        Assert.Equal(SubmitOutcome.Accepted, submitted.Outcome);
        var jobId = submitted.Status.JobId;

        var status = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(6));
        output.WriteLine($"12 videos in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(12, status.Completed);
        Assert.Equal(0, status.Failed + status.Skipped + status.Cancelled);

        await farm.WaitForBlobAsync($"{jobId}/{HiStream.Grains.Results.JobContactSheet.FileName}"); // written after the job finishes
        var blobs = await farm.ResultBlobsAsync();
        var workers = farm.Workers.ToDictionary(w => w.SiloName);
        var bySilo = new Dictionary<string, List<(DateTimeOffset, DateTimeOffset)>>();
        for (int i = 0; i < items.Count; i++)
        {
            var videoId = VideoKey.DefaultVideoId(jobId, i);
            var folder = $"{jobId}/{videoId}";
            foreach (var file in new[] { "metadata.json", "video.mp4", "preview.png", "chunks/0000.safetensors", "segments/0000.mp4" })
                Assert.True(blobs.ContainsKey($"{folder}/{file}"), $"{folder}/{file} is missing");

            var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, folder);
            Assert.Equal(items[i].Prompt, meta.Prompt);
            Assert.Equal(ItemValidator.DefaultSeed(i, items[i].Prompt!), meta.Seed);
            Assert.Equal((32, 32, 9), (meta.Width, meta.Height, meta.Frames));
            Assert.Equal(SamplerRegistry.SelfForcing, meta.Sampler);
            Assert.True(meta.Model.RandomWeights);
            Assert.Equal(64, meta.Model.Hash.Length);
            Assert.Equal(videoId, meta.VideoId);
            Assert.Equal(i, meta.ItemIndex);
            var chunk = Assert.Single(meta.Chunks);
            Assert.Equal(9, chunk.Frames);
            Assert.Equal(4, chunk.ModelPasses); // 4 denoising steps; no cache refresh after the last chunk
            Assert.True(chunk.DenoiseSeconds > 0);
            Assert.Contains(meta.Silo, workers.Keys);
            Assert.Equal("video.mp4", meta.Outputs.Video);
            bySilo.TryAdd(meta.Silo, []);
            bySilo[meta.Silo].Add((meta.StartedAt, meta.FinishedAt));

            var latents = ChunkLatentsFile.Read((await farm.Blobs.TryReadAsync(farm.ResultsContainer, $"{folder}/chunks/0000.safetensors"))!.ToMemory().Span);
            Assert.Equal(new long[] { 16, 3, 4, 4 }, latents.Shape);
            Assert.All(latents.Data, v => Assert.True(float.IsFinite(v)));
            var png = (await farm.Blobs.TryReadAsync(farm.ResultsContainer, $"{folder}/preview.png"))!.ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }

        foreach (var (silo, intervals) in bySilo)
        {
            var worker = workers[silo];
            output.WriteLine($"{silo}: {intervals.Count} videos, at most {Metadata.MaxOverlap(intervals)} at once (slots {worker.ConfiguredSlots}, worker saw {worker.MaxBusyObserved})");
            Assert.True(Metadata.MaxOverlap(intervals) <= worker.ConfiguredSlots);
            Assert.True(worker.MaxBusyObserved <= worker.ConfiguredSlots);
        }
        Assert.True(bySilo.Count >= 2, "work should spread over the silos");

        // The same job again: nothing is queued and nothing in the results container changes.
        var again = await farm.Submitter().SubmitAsync(Prompts.Job(), ManifestSources.Inline(Prompts.Items(12)), default);
        Assert.Equal(SubmitOutcome.AlreadySubmitted, again.Outcome);
        Assert.Equal(jobId, again.Status.JobId);
        await Task.Delay(1000);
        Assert.Equal(blobs, await farm.ResultBlobsAsync());
        Assert.Equal(0, (await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30))).PendingItems);
    }
}
