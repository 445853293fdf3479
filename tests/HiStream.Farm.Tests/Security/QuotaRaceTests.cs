using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Security;

/// <summary>A tenant's parallel submissions take turns (the tenant grain's submit turn), so each counts its quota
/// against what the one before it queued: of several jobs that each fit alone but not together, one is accepted.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QuotaRaceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ParallelSubmissionsOfOneTenantCannotTogetherExceedItsQueueQuota()
    {
        var store = new LocalFolderBlobStore(Directory.CreateTempSubdirectory("histream-quota-").FullName);
        await using var farm = await FarmCluster.StartAsync(azurite, [0], resultStore: store); // no slots: nothing leaves the queue
        await using var gateway = await SecureGateway.StartAsync(farm, store, new Dictionary<string, string?>
        {
            ["Gateway:Quotas:MaxQueuedItems"] = "10",
            ["Gateway:Quotas:RequestsPerMinute"] = "0",
        });
        using var b = gateway.Client(SecureGateway.KeyB);
        var items = Enumerable.Range(0, 6).Select(i => new { prompt = $"p{i}", size = "32x32", frames = 9 }).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(j => b.PostAsJsonAsync("/jobs", new { jobId = $"race-{j}", items })));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        var codes = responses.Select(r => r.StatusCode).ToArray();
        Assert.True(codes.Count(c => c == HttpStatusCode.Accepted) == 1, string.Join("\n", codes.Zip(bodies, (c, body) => $"{(int)c} {body}")));
        foreach (var (code, body) in codes.Zip(bodies).Where(p => p.First != HttpStatusCode.Accepted))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, code);
            Assert.Equal("Gateway:Quotas:MaxQueuedItems", JsonDocument.Parse(body).RootElement.GetProperty("limit").GetString());
        }

        // The next submission that fits the room left (4) is accepted: the turns were all given back.
        var fits = await b.PostAsJsonAsync("/jobs", new { jobId = "race-fits", items = items.Take(4).ToArray() });
        Assert.Equal(HttpStatusCode.Accepted, fits.StatusCode);
    }
}
