using HiStream.Abstractions.Tenants;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A tenant's job list keeps only its newest ids in grain state; older ones move to blob pages, and the list
/// still pages newest first over all of them, records each job once, and survives a reactivation.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TenantJobListTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OldJobIdsMoveOutOfTheTenantStateAndTheListStillPagesOverAll()
    {
        const int pageSize = 3;
        await using var farm = await FarmCluster.StartAsync(azurite, [1], o => o.TenantJobPage = pageSize, settingsOverride: new Dictionary<string, string?> { ["Farm:Render"] = "false" });
        const string tenantName = "deep-tenant";
        var tenant = farm.Grains.GetGrain<ITenantGrain>(tenantName);
        var ids = Enumerable.Range(0, 20).Select(i => $"{tenantName}.job-{i:D2}").ToArray();
        foreach (var id in ids) await tenant.AddJobAsync(id);
        var newestFirst = ids.Reverse().ToArray();

        var stored = await StoredStateAsync();
        Assert.InRange(stored.Jobs.Count, pageSize, 2 * pageSize - 1);
        Assert.Equal(ids.Length, stored.ArchivedPages * pageSize + stored.Jobs.Count);
        Assert.Equal(ids[..pageSize], await new TenantJobPages(farm.Blobs, farm.Farm.JobsContainer, tenantName).ReadAsync(0));

        await AssertListsAsync();
        // A retried or repeated add of an archived job (submitted before the archive) does not list it twice.
        await tenant.AddJobAsync(ids[0], DateTimeOffset.UtcNow.AddHours(-1));
        await AssertListsAsync();
        await farm.Cluster.DeactivateAsync(tenant);
        await tenant.AddJobAsync(ids[1], DateTimeOffset.UtcNow.AddHours(-1));
        await AssertListsAsync();

        async Task AssertListsAsync()
        {
            Assert.Equal(ids.Length, await tenant.GetJobCountAsync());
            Assert.Equal(newestFirst, await tenant.GetJobsAsync(0, 1000));
            var paged = new List<string>();
            for (int skip = 0; skip < ids.Length; skip += 4) paged.AddRange(await tenant.GetJobsAsync(skip, 4));
            Assert.Equal(newestFirst, paged);
            Assert.Equal(newestFirst[7..12], await tenant.GetJobsAsync(7, 5)); // a page across the state and the archive
            Assert.Empty(await tenant.GetJobsAsync(int.MaxValue, 10));
        }

        async Task<TenantGrainState> StoredStateAsync()
        {
            var storage = farm.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(FarmStorage.Name);
            var state = new GrainState<TenantGrainState>();
            await storage.ReadStateAsync("tenant", GrainId.Create("tenant", tenantName), state);
            return state.State!;
        }
    }
}
