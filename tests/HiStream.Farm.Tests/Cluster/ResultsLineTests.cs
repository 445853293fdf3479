using Azure;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Results;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A video's results line is appended after its outputs are stored. When that append fails, a transient fault
/// is retried at once, and any other failure is repaired by the item's next attempt: the finished video gets its line
/// and counts as completed, not as skipped.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ResultsLineTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AFailedResultsAppendIsRetriedOrRepairedAndTheVideoCountsCompleted()
    {
        const string jobId = "resultsline";
        var brownout = VideoKey.DefaultVideoId(jobId, 0); // its first append meets a storage brownout (503)
        var broken = VideoKey.DefaultVideoId(jobId, 1); // its first append fails with an error no retry fixes
        var failed = new HashSet<string>();
        var store = new FaultInjectingBlobStore(azurite.CreateStore(), call =>
        {
            if (call.Operation != nameof(FaultInjectingBlobStore.AppendAsync) || !call.Name.EndsWith(ResultsManifest.FileName, StringComparison.Ordinal)) return null;
            var line = call.Content!.ToString();
            lock (failed)
            {
                if (line.Contains($"\"{brownout}\"", StringComparison.Ordinal) && failed.Add(brownout)) return new RequestFailedException(503, "injected: server busy");
                if (line.Contains($"\"{broken}\"", StringComparison.Ordinal) && failed.Add(broken)) return new InvalidOperationException("injected: append refused");
            }
            return null;
        });
        await using var farm = await FarmCluster.StartAsync(azurite, [2], settingsOverride: FarmCluster.LatentsOnly, resultStore: store);
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(2)), default);

        var done = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal((2, 0, 0), (done.Completed, done.Skipped, done.Failed));
        Assert.Equal(2, failed.Count); // both faults were met
        var records = await ResultsManifest.ReadAsync(farm.Blobs, done.Output!, jobId, 2, default);
        Assert.Equal(new[] { brownout, broken }, records.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(1, (await Metadata.ReadAsync(farm.Blobs, farm.ResultsContainer, $"{jobId}/{brownout}")).Attempts); // retried within its attempt
        var repaired = await farm.Grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(jobId, broken)).GetStatusAsync();
        Assert.Equal(VideoState.Completed, repaired.State);
        Assert.False(repaired.Skipped);
        Assert.Null(repaired.Error);
    }
}
