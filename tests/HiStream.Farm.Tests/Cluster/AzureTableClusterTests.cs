using Azure.Data.Tables;
using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Orleans' Azure Table membership (<c>Orleans:Clustering:Provider=azuretable</c>) against Azurite's table
/// service: two silo hosts and a client configured only through the farm's settings form one cluster.</summary>
public sealed class AzureTableClusterTests
{
    [Fact]
    public async Task TwoSilosFormAClusterThroughAzureTableMembership()
    {
        using var tables = new AzuriteTableServer();
        var tableName = $"membership{Guid.NewGuid():N}"[..24];
        var clusterId = $"table-{Guid.NewGuid():N}"[..16];
        Dictionary<string, string?> Settings(int siloPort, int gatewayPort) => new()
        {
            ["Orleans:Clustering:Provider"] = "azuretable",
            ["Orleans:Clustering:ConnectionString"] = tables.ConnectionString,
            ["Orleans:Clustering:TableName"] = tableName,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:SiloPort"] = siloPort.ToString(),
            ["Orleans:GatewayPort"] = gatewayPort.ToString(),
            ["Orleans:Loopback"] = "true",
            ["Farm:Render"] = "false",
            ["Farm:State:Provider"] = "memory",
            ["Farm:Blob:LocalRoot"] = Directory.CreateTempSubdirectory("histream-table-").FullName,
        };
        var gateways = new List<int>();
        var silos = new List<IHost>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                int gatewayPort = ServerProcess.FreePort();
                gateways.Add(gatewayPort);
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(ServerProcess.FreePort(), gatewayPort)).Build();
                var host = Host.CreateDefaultBuilder()
                    .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
                    .UseOrleans(silo =>
                    {
                        silo.UseHiStreamClustering(configuration);
                        silo.AddHiStreamSilo(configuration);
                    })
                    .Build();
                await host.StartAsync();
                silos.Add(host);
            }

            var clientConfiguration = new ConfigurationBuilder().AddInMemoryCollection(Settings(0, gateways[1])).Build();
            using var client = Host.CreateDefaultBuilder()
                .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
                .UseOrleansClient(c => c.UseHiStreamClustering(clientConfiguration))
                .Build();
            await client.StartAsync();
            var grains = client.Services.GetRequiredService<IClusterClient>();

            // Both silos are Active in the membership table, as Orleans' management grain sees it...
            var management = grains.GetGrain<IManagementGrain>(0);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            Dictionary<SiloAddress, SiloStatus> hosts;
            while ((hosts = await management.GetHosts(onlyActive: true)).Count < 2)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Only {hosts.Count} active silo(s) after 1 minute.");
                await Task.Delay(200);
            }
            Assert.Equal(2, hosts.Count);

            // ... and in the Azure table itself: one row per silo plus the version row, for this cluster only.
            var rows = new TableClient(tables.ConnectionString, tableName).QueryAsync<TableEntity>();
            var entries = new List<TableEntity>();
            await foreach (var row in rows) entries.Add(row);
            var siloRows = entries.Where(e => e.GetString("Status") is not null).ToList();
            Assert.True(siloRows.Count == 2, "Rows: " + string.Join("; ", entries.Select(e => $"{e.PartitionKey}|{e.RowKey}|{string.Join(",", e.Keys)}")));
            Assert.All(siloRows, r => Assert.Equal("Active", r.GetString("Status")));
            Assert.All(entries, r => Assert.Contains(clusterId, r.PartitionKey));

            // The cluster works: a job grain answers through the client.
            var status = await grains.GetGrain<IJobGrain>("no-such-job").GetStatusAsync();
            Assert.Equal(JobState.Unknown, status.State);

            await client.StopAsync();
        }
        finally
        {
            foreach (var silo in Enumerable.Reverse(silos))
            {
                await silo.StopAsync(TimeSpan.FromSeconds(30));
                silo.Dispose();
            }
        }
    }
}
