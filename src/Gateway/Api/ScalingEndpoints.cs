using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;
using HiStream.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Api;

/// <summary>GET <c>/scaling/demand</c>: the farm's demand for silos, for KEDA's metrics-api scaler. It comes from
/// the queue partition grains (which any silo hosts), so it is served while zero render silos run and the farm can scale up
/// from zero. <c>videos</c> = queued + rendering; KEDA divides it by the slots per silo (the ScaledObject's
/// targetValue). No job ids or prompts: counts only, yet not for the API's callers: it answers on the management port
/// (<c>Management:Port</c>) only, without a key, like the silos' <c>/metrics</c>.</summary>
public static class ScalingEndpoints
{
    public static IEndpointRouteBuilder MapScalingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/scaling/demand", async (IGrainFactory grains, IConfiguration configuration, IOptions<FarmOptions> farm) =>
            {
                var snapshot = await FarmQueue.SnapshotAsync(grains, Math.Max(1, farm.Value.QueuePartitions), farm.Value.QueueCallTimeout);
                int slots = Math.Max(1, configuration.GetValue("Gateway:Scaling:SlotsPerSilo", 3));
                long videos = snapshot.PendingItems + snapshot.LeasedItems;
                return new ScalingDemand(snapshot.PendingItems, snapshot.LeasedItems, videos, slots, (videos + slots - 1) / slots);
            })
            .WithTags("Scaling").WithSummary("Videos queued and rendering, for autoscalers (KEDA metrics-api); management port only").Produces<ScalingDemand>()
            .AllowAnonymous()
            .OnlyOnManagementPort();
        return app;
    }
}

/// <param name="Silos">ceil(videos / slots per silo): the render silos the demand fills.</param>
public sealed record ScalingDemand(long Queued, long InFlight, long Videos, int SlotsPerSilo, long Silos);
