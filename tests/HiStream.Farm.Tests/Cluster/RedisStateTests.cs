using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using StackExchange.Redis;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Grain state in Redis through the Orleans Redis provider (the alternative to Azure Blob grain storage).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RedisStateTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AJobRunsWithItsStateInRedis()
    {
        using var redis = ServerProcess.Start("redis-server", port => ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], TimeSpan.FromSeconds(20));
        var connection = $"127.0.0.1:{redis.Port}";
        await using (var farm = await FarmCluster.StartAsync(azurite, [1, 1], settingsOverride: new Dictionary<string, string?>
        {
            ["Farm:State:Provider"] = "redis",
            ["Farm:State:ConnectionString"] = connection,
        }))
        {
            await farm.Submitter().SubmitAsync(Prompts.Job("in-redis"), ManifestSources.Inline(Prompts.Items(3)), default);
            var status = await farm.WaitForJobAsync("in-redis", TimeSpan.FromMinutes(3));
            Assert.Equal(JobState.Completed, status.State);
            Assert.Equal(3, status.Completed);
        }
        using var mux = await ConnectionMultiplexer.ConnectAsync(connection);
        var keys = mux.GetServer(connection).Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.Contains(keys, k => k.Contains("in-redis", StringComparison.Ordinal)); // the job's and videos' state
    }
}
