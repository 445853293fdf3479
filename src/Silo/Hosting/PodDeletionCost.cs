using HiStream.Grains.Telemetry;
using k8s;
using k8s.Models;

namespace HiStream.Silo.Hosting;

/// <summary>Keeps the annotation <c>controller.kubernetes.io/pod-deletion-cost</c> of this silo's own pod equal to
/// its busy slots (videos rendering), so that when the Deployment scales in, Kubernetes removes idle silos first.
/// It patches the pod through the Kubernetes API (RBAC: pods get/patch in the namespace) whenever the count changes,
/// checked every <see cref="PodDeletionCostOptions.Interval"/>. A failed patch is logged and tried again next tick;
/// it never affects rendering.</summary>
public sealed class PodDeletionCostUpdater : BackgroundService
{
    public const string Annotation = "controller.kubernetes.io/pod-deletion-cost";
    private readonly IKubernetes _client;
    private readonly FarmMetrics _metrics;
    private readonly PodDeletionCostOptions _options;
    private readonly ILogger<PodDeletionCostUpdater> _logger;
    private int? _published;

    public PodDeletionCostUpdater(IKubernetes client, FarmMetrics metrics, PodDeletionCostOptions options, ILogger<PodDeletionCostUpdater> logger)
    {
        _client = client;
        _metrics = metrics;
        _options = options;
        _logger = logger;
    }

    /// <summary>The cost last written to the pod (null before the first successful patch).</summary>
    public int? Published => _published;

    /// <summary>Patches the pod if its busy slots changed since the last successful patch; returns whether it patched.</summary>
    public async Task<bool> UpdateAsync(CancellationToken cancellationToken)
    {
        int cost = _metrics.SlotsBusy;
        if (cost == _published) return false;
        var patch = new V1Patch(new V1Pod { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [Annotation] = cost.ToString() } } },
            V1Patch.PatchType.MergePatch);
        try
        {
            await _client.CoreV1.PatchNamespacedPodAsync(patch, _options.PodName, _options.Namespace, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Could not set {Annotation}={Cost} on pod {Namespace}/{Pod}; trying again later", Annotation, cost, _options.Namespace, _options.PodName);
            return false;
        }
        _published = cost;
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval);
        do
        {
            await UpdateAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary><c>Farm:PodDeletionCost</c>: on by default when the silo runs in a Kubernetes pod (the API host and
/// <c>POD_NAME</c>/<c>POD_NAMESPACE</c> are set).</summary>
public sealed class PodDeletionCostOptions
{
    public bool? Enabled { get; set; }
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
    public string PodName { get; set; } = "";
    public string Namespace { get; set; } = "";
}

public static class PodDeletionCostExtensions
{
    public static IServiceCollection AddPodDeletionCost(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Farm:PodDeletionCost").Get<PodDeletionCostOptions>() ?? new PodDeletionCostOptions();
        if (options.PodName.Length == 0) options.PodName = configuration["POD_NAME"] ?? "";
        if (options.Namespace.Length == 0) options.Namespace = configuration["POD_NAMESPACE"] ?? "";
        bool inPod = KubernetesClientConfiguration.IsInCluster() && options.PodName.Length > 0 && options.Namespace.Length > 0;
        if (!(options.Enabled ?? inPod)) return services;
        if (options.PodName.Length == 0 || options.Namespace.Length == 0)
            throw new InvalidOperationException("Farm:PodDeletionCost is enabled: set POD_NAME and POD_NAMESPACE (downward API).");
        services.AddSingleton(options);
        services.AddSingleton<IKubernetes>(_ => new Kubernetes(KubernetesClientConfiguration.InClusterConfig()));
        services.AddHostedService<PodDeletionCostUpdater>();
        return services;
    }
}
