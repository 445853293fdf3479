using System.Net;
using Orleans.Configuration;

namespace HiStream.Silo.Hosting;

/// <summary>Cluster membership for a silo process: Redis (<c>Orleans:Redis</c>) for a farm of processes or pods,
/// localhost otherwise. In Kubernetes the pod's IP and name (<c>POD_IP</c>, <c>POD_NAME</c>) are advertised.</summary>
public static class HiStreamClustering
{
    public static ISiloBuilder UseHiStreamClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["Orleans:ClusterId"] ?? "histream";
            o.ServiceId = configuration["Orleans:ServiceId"] ?? "histream-farm";
        });
        silo.UseHiStreamMembershipTimings(configuration);
        int siloPort = configuration.GetValue("Orleans:SiloPort", 11111);
        int gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
        var redis = configuration["Orleans:Redis"];
        if (string.IsNullOrWhiteSpace(redis))
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort);
            return silo;
        }
        silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Options(configuration, redis));
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = siloPort;
            o.GatewayPort = gatewayPort;
            var podIp = configuration["POD_IP"];
            if (!string.IsNullOrWhiteSpace(podIp) && IPAddress.TryParse(podIp, out var ip)) o.AdvertisedIPAddress = ip;
            o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, siloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, gatewayPort);
        });
        var podName = configuration["POD_NAME"];
        if (!string.IsNullOrWhiteSpace(podName)) silo.Configure<SiloOptions>(o => o.SiloName = podName);
        return silo;
    }

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
