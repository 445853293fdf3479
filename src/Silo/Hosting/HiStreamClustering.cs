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
}
