using HiStream.Grains.Manifests;
using HiStream.Grains.Placement;
using HiStream.Grains.Queue;
using HiStream.Grains.Rendering;
using HiStream.Grains.Results;
using HiStream.Grains.Storage;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace HiStream.Grains.Hosting;

public static class FarmSiloBuilderExtensions
{
    /// <summary>The farm's silo services: the render engine (model loaded once per silo, device thread), the worker
    /// that pulls videos into the silo's slots, video placement, manifest reader and metrics. The caller registers an
    /// <see cref="IBlobStore"/> and the <see cref="FarmStorage.Name"/> grain storage; the pipeline comes from the
    /// <c>Engine</c> options unless another <see cref="IPipelineSource"/> is registered first.</summary>
    public static ISiloBuilder AddHiStreamFarm(this ISiloBuilder builder, Action<FarmOptions>? configure = null)
    {
        var services = builder.Services;
        var options = services.AddOptions<FarmOptions>().ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FarmOptions>, FarmOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<FarmMetrics>();
        services.AddOptions<HiStream.Engine.Pipeline.PipelineOptions>();
        services.TryAddSingleton<IPipelineSource, ConfiguredPipelineSource>();
        services.TryAddSingleton<ManifestReader>();
        services.TryAddSingleton<TorchRenderEngine>();
        services.TryAddSingleton<IRenderEngine>(sp =>
        {
            var faults = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FarmOptions>>().Value.FaultInjection;
            IRenderEngine engine = sp.GetRequiredService<TorchRenderEngine>();
            return faults.Enabled ? new FaultInjectingRenderEngine(engine, faults) : engine;
        });
        services.TryAddSingleton(sp => new FarmRetry(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FarmOptions>>().Value));
        services.TryAddSingleton<SiloHealth>();
        services.TryAddSingleton<DeadSiloWatcher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DeadSiloWatcher>());
        services.TryAddSingleton<IRenderCostModel>(sp => sp.GetRequiredService<TorchRenderEngine>());
        services.TryAddSingleton<JobContactSheet>();
        services.TryAddSingleton<WebhookSender>();
        services.TryAddSingleton<JobFinishActions>();
        services.TryAddSingleton<PartitionedLeaser>();
        services.TryAddSingleton<LeaseRenewals>();
        services.TryAddSingleton<RenderSlots>();
        services.TryAddSingleton<SlotPlanner>();
        services.TryAddSingleton<JobDefinitionCache>();
        services.TryAddSingleton<VideoStarter>();
        services.TryAddSingleton<QueueDepthSampler>();
        services.TryAddSingleton<SiloDrain>();
        services.TryAddSingleton<RenderWorker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RenderWorker>());
        services.AddPlacementDirector<VideoPlacementStrategy, VideoPlacementDirector>();
        return builder;
    }
}
