using System.Buffers.Binary;
using System.Text.Json;
using Azure.Storage.Blobs;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Jobs;
using HiStream.Grains.Manifests;
using HiStream.Grains.Results;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>One 4-video job on 2 silos with its state in Azurite through Orleans' own blob provider, then what a
/// user gets from it: results.jsonl read back, GPU-seconds in status and metadata, the job's contact sheet, an
/// HMAC-signed webhook (retried after a 503), the grain state as Orleans' blob format, and progress events whose ids
/// survive the job grain's reactivation.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class JobResultsTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const string Secret = "test-webhook-secret";

    [Fact]
    public async Task AFinishedJobHasItsResultsManifestCostContactSheetWebhookAndDurableEvents()
    {
        using var receiver = new HttpRecorder((_, n) => n == 1 ? (503, "{}") : (200, "{}")); // first delivery fails: Polly retries
        var stateContainer = $"state-{Guid.NewGuid():N}"[..20];
        await using var farm = await FarmCluster.StartAsync(azurite, [1, 2], stateContainer: stateContainer, settingsOverride: new Dictionary<string, string?>
        {
            ["Farm:Webhooks:Secret"] = Secret,
            ["Farm:Webhooks:FirstRetryDelay"] = "00:00:00.200",
            ["Farm:Webhooks:AllowInternalAddresses"] = "true", // the receiver is on loopback
        });
        var items = Prompts.Items(4);
        var options = Prompts.Job() with { Webhook = $"{receiver.Url}/hooks/histream" };
        var submitted = await farm.Submitter().SubmitAsync(options, ManifestSources.Inline(items), default);
        var jobId = submitted.Status.JobId;
        var status = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(6));
        Assert.Equal(JobState.Completed, status.State);
        var outputLocation = status.Output!;

        // results.jsonl: one line per video, read back, agreeing with each video's metadata.json
        var records = await ResultsManifest.ReadAsync(farm.Blobs, outputLocation, jobId, items.Count, default);
        var raw = (await farm.Blobs.TryReadAsync(farm.ResultsContainer, $"{jobId}/results.jsonl"))!.ToString();
        Assert.Equal(4, raw.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(4, records.Count);
        Assert.Equal([0, 1, 2, 3], records.Select(r => r.Index).Order());
        double gpuTotal = 0;
        foreach (var r in records)
        {
            var meta = await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{r.Id}");
            Assert.Equal(VideoKey.DefaultVideoId(jobId, r.Index), r.Id);
            Assert.Equal(items[r.Index].Prompt, r.Prompt);
            Assert.Equal(meta.Seed, r.Seed);
            Assert.Equal("32x32", r.Size);
            Assert.Equal(9, r.Frames);
            Assert.Equal(meta.Sampler, r.Sampler);
            Assert.Equal(meta.Model.Hash, r.ModelHash);
            Assert.True(r.GpuSeconds > 0, "gpuSeconds must be positive");
            Assert.Equal(Math.Round(meta.GpuSeconds, 3), r.GpuSeconds);
            Assert.True(r.Seconds >= r.GpuSeconds - 0.01, $"wall {r.Seconds} s < device {r.GpuSeconds} s");
            foreach (var file in new[] { r.Files.Video!, r.Files.Preview, r.Files.Metadata }.Concat(r.Files.Latents))
                Assert.True(await farm.Blobs.ExistsAsync(farm.ResultsContainer, $"{jobId}/{file}"), $"{file} named in results.jsonl is missing");
            gpuTotal += r.GpuSeconds;
        }
        // Each line holds its video's seconds rounded to 3 decimals: the sum may differ from the job's by half a unit each
        // (comparing both rounded to 2 decimals failed when they straddled a rounding boundary).
        Assert.Equal(gpuTotal, status.GpuSeconds, tolerance: 0.0005 * records.Count + 1e-9);
        output.WriteLine($"GPU-seconds: job {status.GpuSeconds:F3}, per video {string.Join(", ", records.Select(r => r.GpuSeconds))}");

        // The contact sheet: 4 middle frames tiled 2x2 (thumbnails 256 wide, 4 px gaps)
        var sheet = await WaitForBlobAsync(farm, $"{jobId}/{JobContactSheet.FileName}");
        var (w, h) = PngSize(sheet);
        Assert.Equal((2 * 256 + 3 * 4, 2 * 256 + 3 * 4), (w, h));

        // The webhook: retried after the 503, signed with HMAC-SHA256 of the body, the same delivery id both times
        var calls = await receiver.WaitForAsync(r => r.Length >= 2, TimeSpan.FromMinutes(1));
        Assert.All(calls, c => Assert.Equal(("POST", "/hooks/histream"), (c.Method, c.Path)));
        Assert.Equal(calls[0].Headers[WebhookSender.DeliveryHeader], calls[1].Headers[WebhookSender.DeliveryHeader]);
        var delivered = calls[1];
        Assert.Equal(WebhookSender.Sign(Secret, System.Text.Encoding.UTF8.GetBytes(delivered.Body)), delivered.Headers[WebhookSender.SignatureHeader]);
        Assert.NotEqual(WebhookSender.Sign("another secret", System.Text.Encoding.UTF8.GetBytes(delivered.Body)), delivered.Headers[WebhookSender.SignatureHeader]);
        var notification = JsonSerializer.Deserialize<JobFinishedNotification>(delivered.Body, FarmJson.Options)!;
        Assert.Equal((jobId, JobState.Completed, 4), (notification.Job.JobId, notification.Job.State, notification.Job.Completed));
        Assert.Equal($"{jobId}/results.jsonl", notification.Results);
        Assert.Equal($"{jobId}/{JobContactSheet.FileName}", notification.ContactSheet);

        // Grain state in Orleans' own format: blob "<state name>-<grain id>.json", JSON of JobGrainState, ETag-guarded
        var grainId = GrainId.Create("job", jobId);
        var stateBlob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(stateContainer).GetBlobClient($"job-{grainId}.json");
        using var stateJson = JsonDocument.Parse((await stateBlob.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal(4, stateJson.RootElement.GetProperty("Completed").GetInt32());
        Assert.Equal(jobId, stateJson.RootElement.GetProperty("Definition").GetProperty("JobId").GetString());
        var storage = farm.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(HiStream.Grains.Hosting.FarmStorage.Name);
        var current = new GrainState<JobGrainState>();
        await storage.ReadStateAsync("job", grainId, current);
        Assert.Equal(4, current.State!.Completed);
        var staleETag = current.ETag;
        await storage.WriteStateAsync("job", grainId, current); // the current ETag: accepted
        Assert.NotEqual(staleETag, current.ETag);
        var stale = new GrainState<JobGrainState>(current.State) { ETag = staleETag, RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("job", grainId, stale));

        // Progress events: the same ids and events after the job grain is deactivated and activated again
        var job = farm.Grains.GetGrain<IJobGrain>(jobId);
        var before = await AllEventsAsync(job);
        Assert.Equal(Enumerable.Range(1, before.Length).Select(i => (long)i), before.Select(e => e.Sequence));
        Assert.Equal(ProgressKind.JobFinished, before[^1].Kind);
        await farm.Cluster.DeactivateAsync(job);
        var after = await AllEventsAsync(job);
        Assert.Equal(before.Select(e => (e.Sequence, e.Kind, e.VideoId, e.ChunksDone)), after.Select(e => (e.Sequence, e.Kind, e.VideoId, e.ChunksDone)));
        var resumed = await job.GetEventsAsync(before[^3].Sequence, 100, TimeSpan.Zero); // Last-Event-ID after reactivation
        Assert.Equal(before.TakeLast(2).Select(e => e.Sequence), resumed.Events.Select(e => e.Sequence));
    }

    private static async Task<ProgressEvent[]> AllEventsAsync(IJobGrain job)
    {
        var events = new List<ProgressEvent>();
        long after = 0;
        while (true)
        {
            var batch = await job.GetEventsAsync(after, 1000, TimeSpan.Zero);
            if (batch.Events.Length == 0) return events.ToArray();
            events.AddRange(batch.Events);
            after = batch.LastSequence;
        }
    }

    private static async Task<byte[]> WaitForBlobAsync(FarmCluster farm, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (await farm.Blobs.TryReadAsync(farm.ResultsContainer, name) is { } data) return data.ToArray();
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name} was not written.");
            await Task.Delay(200);
        }
    }

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.Equal(0x89, png[0]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
