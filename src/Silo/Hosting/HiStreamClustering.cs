using System.Net;
using Azure.Data.Tables;
using Orleans.Configuration;

namespace HiStream.Silo.Hosting;

/// <summary>Cluster membership for silos and the gateway's client, chosen by <c>Orleans:Clustering:Provider</c>:
/// <c>redis</c> (<c>Orleans:Redis</c>), <c>azuretable</c> (Orleans' Azure Table membership; connection string
/// <c>Orleans:Clustering:ConnectionString</c>, else <c>Farm:Blob:ConnectionString</c>) or <c>localhost</c>.
/// Without a provider: redis when <c>Orleans:Redis</c> is set, else localhost. In Kubernetes the pod's IP and name
/// (<c>POD_IP</c>, <c>POD_NAME</c>) are advertised. Reminders go on the same store (<see cref="HiStreamReminders"/>).</summary>
public static class HiStreamClustering
{
    public const string DefaultTableName = "HiStreamMembership";

    public static ISiloBuilder UseHiStreamClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Configure<ClusterOptions>(o => ConfigureCluster(o, configuration));
        silo.UseHiStreamMembershipTimings(configuration);
        int siloPort = configuration.GetValue("Orleans:SiloPort", 11111);
        int gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
        switch (Provider(configuration))
        {
            case "localhost":
                silo.UseLocalhostClustering(siloPort, gatewayPort);
                silo.UseHiStreamReminders(configuration);
                return silo;
            case "redis":
                silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Options(configuration, RedisAddress(configuration)));
                break;
            case "azuretable":
                var connection = TableConnection(configuration);
                var table = TableName(configuration);
                silo.UseAzureStorageClustering(o =>
                {
                    o.TableServiceClient = new TableServiceClient(connection);
                    o.TableName = table;
                });
                break;
        }
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = siloPort;
            o.GatewayPort = gatewayPort;
            var podIp = configuration["POD_IP"];
            if (!string.IsNullOrWhiteSpace(podIp) && IPAddress.TryParse(podIp, out var ip)) o.AdvertisedIPAddress = ip;
            else if (configuration.GetValue("Orleans:Loopback", false)) o.AdvertisedIPAddress = IPAddress.Loopback;
            o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, siloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, gatewayPort);
        });
        var podName = configuration["POD_NAME"];
        if (!string.IsNullOrWhiteSpace(podName)) silo.Configure<SiloOptions>(o => o.SiloName = podName);
        silo.UseHiStreamReminders(configuration);
        return silo;
    }

    public static IClientBuilder UseHiStreamClustering(this IClientBuilder client, IConfiguration configuration)
    {
        client.Configure<ClusterOptions>(o => ConfigureCluster(o, configuration));
        switch (Provider(configuration))
        {
            case "localhost":
                client.UseLocalhostClustering(configuration.GetValue("Orleans:GatewayPort", 30000));
                break;
            case "redis":
                client.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Options(configuration, RedisAddress(configuration)));
                break;
            case "azuretable":
                var connection = TableConnection(configuration);
                var table = TableName(configuration);
                client.UseAzureStorageClustering(o =>
                {
                    o.TableServiceClient = new TableServiceClient(connection);
                    o.TableName = table;
                });
                break;
        }
        return client;
    }

    /// <summary>localhost, redis or azuretable.</summary>
    public static string Provider(IConfiguration configuration)
    {
        var provider = configuration["Orleans:Clustering:Provider"]?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(provider)) return string.IsNullOrWhiteSpace(configuration["Orleans:Redis"]) ? "localhost" : "redis";
        return provider is "localhost" or "redis" or "azuretable" ? provider
            : throw new InvalidOperationException($"Orleans:Clustering:Provider '{provider}' is not one of localhost, redis, azuretable.");
    }

    private static void ConfigureCluster(ClusterOptions o, IConfiguration configuration)
    {
        o.ClusterId = configuration["Orleans:ClusterId"] ?? "histream";
        o.ServiceId = configuration["Orleans:ServiceId"] ?? "histream-farm";
    }

    internal static string RedisAddress(IConfiguration configuration) =>
        configuration["Orleans:Redis"] is { Length: > 0 } redis ? redis
            : throw new InvalidOperationException("Orleans:Clustering:Provider is redis: set Orleans:Redis.");

    internal static string TableConnection(IConfiguration configuration) =>
        configuration["Orleans:Clustering:ConnectionString"] is { Length: > 0 } c ? c
        : configuration["Farm:Blob:ConnectionString"] is { Length: > 0 } b ? b
        : throw new InvalidOperationException("Orleans:Clustering:Provider is azuretable: set Orleans:Clustering:ConnectionString (or Farm:Blob:ConnectionString).");

    private static string TableName(IConfiguration configuration) => configuration["Orleans:Clustering:TableName"] ?? DefaultTableName;

    /// <summary>How fast a dead silo is declared dead (its leases then go back to the queue at once, see
    /// <c>DeadSiloWatcher</c>): the farm's defaults below, each overridable under <c>Orleans:Membership</c>
    /// (<see cref="ClusterMembershipOptions"/> property names). Probes every 2 s, dead after 3 missed probes, one vote
    /// enough while the cluster is small (Orleans caps the votes needed at half the live silos): about 6-10 s from a
    /// crash to the death declaration, against about 15-30 s with Orleans' defaults.</summary>
    public static ISiloBuilder UseHiStreamMembershipTimings(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 3;
            o.NumVotesForDeathDeclaration = 2;
            o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(60);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(30);
            o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        });
        silo.Configure<ClusterMembershipOptions>(configuration.GetSection("Orleans:Membership"));
        return silo;
    }
}
