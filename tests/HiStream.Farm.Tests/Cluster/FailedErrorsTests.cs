using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A job keeps the error messages of its first failed items only (<c>Farm:FailedErrorsKept</c>); the others
/// are still counted and listed, with a message that says their error was not kept.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FailedErrorsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AJobKeepsTheErrorsOfItsFirstFailuresAndCountsTheRest()
    {
        const string jobId = "manyfailures";
        await using var farm = await FarmCluster.StartAsync(azurite, [2], o =>
        {
            o.MaxAttempts = 1;
            o.FailedErrorsKept = 1;
            o.FailureBreakerThreshold = 0;
        }, settingsOverride: new Dictionary<string, string?> { ["Farm:FaultInjection:DeviceFails"] = "true", ["Engine:Decode"] = "false" });
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(3)), default);

        var done = await farm.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));

        Assert.Equal((JobState.CompletedWithFailures, 3), (done.State, done.Failed));
        var page = await farm.Grains.GetGrain<IJobGrain>(jobId).GetFailuresAsync(0, 10);
        Assert.Equal((3, 2), (page.Total, page.ErrorsNotKept));
        Assert.Equal([0, 1, 2], page.Items.Select(i => i.Index).Order());
        var kept = Assert.Single(page.Items, i => !i.Error.StartsWith("error not kept", StringComparison.Ordinal));
        Assert.Equal(1, kept.Attempts);
        Assert.All(page.Items.Where(i => i != kept), i => Assert.Equal("error not kept: a job keeps the errors of its first 1 failed items (2 more were not kept)", i.Error));

        var storage = farm.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(FarmStorage.Name);
        var state = new GrainState<JobGrainState>();
        await storage.ReadStateAsync("job", GrainId.Create("job", jobId), state);
        Assert.Equal(kept.Index, Assert.Single(state.State!.Errors).Key);
        Assert.Equal(2, state.State.ErrorsNotKept);
    }
}
