using System.Globalization;
using HiStream.Engine.Pipeline;
using HiStream.Farm.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>k8s/ (the production farm) and the deploy/kustomize overlays render (kubectl kustomize), parse strictly,
/// and agree with the code.</summary>
public sealed class KustomizeTests
{
    public const string Production = "k8s";
    public const string CpuDev = "deploy/kustomize/cpu-dev";
    public const string GpuProd = "deploy/kustomize/gpu-prod";

    public static TheoryData<string> Folders => new() { Production, CpuDev, GpuProd };

    [Theory]
    [MemberData(nameof(Folders))]
    public void Renders_into_namespaced_objects_with_unique_names(string folder)
    {
        var m = Manifests.Kustomize(folder);
        Assert.NotEmpty(m.Objects);
        var ids = m.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => (o.Kind, o.Metadata.Name)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        if (!m.Merged) return; // files loaded one by one: kustomize's namespace is not applied
        foreach (var o in m.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(o => o.Kind != "Namespace"))
            Assert.True(o.Metadata.NamespaceProperty == "histream", $"{m.Source}: {o.Kind}/{o.Metadata.Name} is in namespace '{o.Metadata.NamespaceProperty}'.");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void Every_environment_variable_is_a_configuration_key_the_app_reads(string folder) =>
        AssertNone(FarmChecks.EnvironmentProblems(Manifests.Kustomize(folder)));

    [Theory]
    [MemberData(nameof(Folders))]
    public void Ports_services_and_scrape_annotations_agree(string folder) =>
        AssertNone(FarmChecks.PortProblems(Manifests.Kustomize(folder)));

    [Theory]
    [MemberData(nameof(Folders))]
    public void Probes_use_paths_the_app_serves(string folder) =>
        AssertNone(FarmChecks.ProbeProblems(Manifests.Kustomize(folder)));

    [Theory]
    [MemberData(nameof(Folders))]
    public void Only_prometheus_in_the_monitoring_namespace_reaches_the_silo_management_port(string folder)
    {
        var m = Manifests.Kustomize(folder);
        AssertNone(NetworkPolicyChecks.SiloPortProblems(m));
        var peer = Assert.Single(NetworkPolicyChecks.ManagementPeers(m));
        Assert.Equal("monitoring", peer.Namespace);
        Assert.Equal("prometheus", peer.PodLabels?["app.kubernetes.io/name"]);
    }

    /// <summary>The Prometheus Operator's PodMonitor scrapes the silo pods on the port the silo container declares
    /// for /metrics (by name), at a path served there, in the namespace the farm is deployed to.</summary>
    [Fact]
    public void Pod_monitor_scrapes_the_silo_management_port_by_name()
    {
        var m = Manifests.Kustomize(Production);
        var (pod, silo, _) = FarmChecks.Find(m, "silo");
        var monitor = MonitoringFiles.PodMonitor();
        Assert.True(FarmChecks.Selects(monitor.Selector.ToDictionary(), pod.Metadata.Labels), "the PodMonitor selects no silo pod");
        var endpoint = Assert.Single(monitor.Endpoints);
        Assert.Equal(FarmChecks.ManagementPortName, endpoint.Port);
        Assert.Contains(silo.Ports, p => p.Name == endpoint.Port);
        Assert.Contains(endpoint.Path, FarmChecks.SiloManagementPaths());
        Assert.DoesNotContain(endpoint.Path, FarmChecks.ServedPaths("silo"));
        if (m.Merged) Assert.Equal(m.One<V1Deployment>("histream-silo").Metadata.NamespaceProperty, monitor.Namespace);
    }

    [Theory]
    [InlineData(Production, "false")]
    [InlineData(GpuProd, "false")]
    [InlineData(CpuDev, "true")]
    public void The_orleans_dashboard_is_on_only_in_the_development_overlay(string folder, string dashboard) =>
        Assert.Equal(dashboard, FarmChecks.Environment(Manifests.Kustomize(folder), "silo").GetValueOrDefault("Management__Dashboard"));

    [Theory]
    [MemberData(nameof(Folders))]
    public void Gateway_sizes_items_with_the_silos_model_decode_and_reserve(string folder)
    {
        var m = Manifests.Kustomize(folder);
        AssertNone(FarmChecks.AdmissionSettingProblems(m));
        Assert.NotNull(FarmChecks.Environment(m, "gateway").GetValueOrDefault("Farm__ReserveFraction"));
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void Grace_period_covers_the_silo_drain_and_host_shutdown(string folder) =>
        AssertNone(FarmChecks.ShutdownProblems(Manifests.Kustomize(folder)));

    [Theory]
    [InlineData(Production)]
    [InlineData(GpuProd)]
    public void Production_gives_each_silo_one_gpu_on_gpu_nodes_and_the_real_model(string folder)
    {
        var m = Manifests.Kustomize(folder);
        var (pod, silo, _) = FarmChecks.Find(m, "silo");
        Assert.Equal("1", silo.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("1", silo.Resources.Requests["nvidia.com/gpu"].ToString());
        Assert.True(pod.Spec.NodeSelector is { Count: > 0 }, "GPU silos need a nodeSelector for GPU nodes.");
        Assert.Contains(pod.Spec.Tolerations ?? [], t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");

        var env = FarmChecks.Environment(m, "silo");
        Assert.Equal("cuda", env["Engine__Device"]);
        Assert.Equal("bfloat16", env["Engine__DType"]);
        Assert.False(env.ContainsKey("Farm__Slots"), "GPU silos plan their slots from device memory.");
        var mount = silo.VolumeMounts.Single(v => v.Name == "models");
        Assert.True(mount.ReadOnlyProperty);
        foreach (var key in new[] { "Engine__DitWeights", "Engine__VaeWeights", "Engine__TextEncoderWeights", "Engine__Tokenizer" })
            Assert.StartsWith(mount.MountPath + "/", env[key]);
        Assert.Contains(pod.Spec.Volumes, v => v.Name == "models" && v.PersistentVolumeClaim?.ClaimName is { } claim && m.All<V1PersistentVolumeClaim>().Any(p => p.Metadata.Name == claim));
    }

    [Fact]
    public void Gpu_prod_overlay_puts_the_api_behind_an_authenticated_ingress_and_runs_as_its_service_account()
    {
        var m = Manifests.Kustomize(GpuProd);
        var ingress = m.All<V1Ingress>().Single();
        Assert.True(ingress.Metadata.Annotations?.ContainsKey("nginx.ingress.kubernetes.io/auth-type"), "the gateway has no authentication of its own");
        var backend = ingress.Spec.Rules.Single().Http.Paths.Single().Backend.Service;
        Assert.Contains(m.All<V1Service>(), s => s.Metadata.Name == backend.Name && s.Spec.Ports.Any(p => p.Name == backend.Port.Name));
        // The gateway needs no API access (no token); the silos' own account may only patch pods (KedaScalingTests).
        var account = m.All<V1ServiceAccount>().Single(a => a.Metadata.Name == FarmChecks.Find(m, "gateway").Pod.Spec.ServiceAccountName);
        Assert.False(account.AutomountServiceAccountToken);
        Assert.Equal("histream-silo", FarmChecks.Find(m, "silo").Pod.Spec.ServiceAccountName);
        Assert.Contains(m.All<V1PodDisruptionBudget>(), p => p.Metadata.Name == "histream-gateway");
        // The silo Service exposes the management port (dashboard, metrics) only, never the probes' http port.
        var siloService = m.All<V1Service>().Single(s => s.Metadata.Name == "histream-silo");
        Assert.Equal([FarmChecks.ManagementPortName], siloService.Spec.Ports.Select(p => p.TargetPort.Value));
    }

    [Fact]
    public void Cpu_dev_overlay_runs_the_tiny_model_without_gpu_volume_or_autoscaler()
    {
        var m = Manifests.Kustomize(CpuDev);
        var (pod, silo, _) = FarmChecks.Find(m, "silo");
        Assert.False(silo.Resources.Limits?.ContainsKey("nvidia.com/gpu") ?? false);
        Assert.False(silo.Resources.Requests?.ContainsKey("nvidia.com/gpu") ?? false);
        Assert.Null(pod.Spec.NodeSelector);
        Assert.Null(pod.Spec.Tolerations);
        var env = FarmChecks.Environment(m, "silo");
        Assert.Equal("cpu", env["Engine__Device"]);
        Assert.DoesNotContain(env.Keys, k => k.EndsWith("Weights", StringComparison.Ordinal) || k == "Engine__Tokenizer");
        Assert.DoesNotContain(pod.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
        Assert.DoesNotContain(silo.VolumeMounts, v => v.Name == "models");
        Assert.Empty(m.All<V2HorizontalPodAutoscaler>());
        Assert.Empty(m.All<V1PersistentVolumeClaim>());
        // The generated secret (hash-suffixed name) is what the pods reference, and it points at the in-cluster Azurite.
        var secretName = silo.Env.Single(e => e.Name == "Farm__Blob__ConnectionString").ValueFrom.SecretKeyRef.Name;
        var secret = m.All<V1Secret>().Single(s => s.Metadata.Name == secretName);
        var connection = System.Text.Encoding.UTF8.GetString(secret.Data["connectionString"]);
        var azurite = m.All<V1Service>().Single(s => s.Metadata.Name == "histream-azurite");
        Assert.Contains($"BlobEndpoint=http://{azurite.Metadata.Name}:{azurite.Spec.Ports.Single().Port}/devstoreaccount1", connection);
        Assert.Contains(m.All<V1Namespace>(), n => n.Metadata.Name == "histream");
    }

    /// <summary>The HPA's videos-per-silo target is what one GPU silo really holds at 1080p: the slot planner's
    /// capacity ((DeviceMemoryGiB − DiT) × (1 − ReserveFraction)) over the estimator's bytes per 1920x1088 HiStream
    /// video of 81 frames.</summary>
    [Fact]
    public void Autoscaling_target_matches_the_1080p_videos_one_gpu_silo_holds()
    {
        var m = Manifests.Kustomize(Production);
        var env = FarmChecks.Environment(m, "silo");
        double deviceGiB = double.Parse(env["Farm__DeviceMemoryGiB"]!, CultureInfo.InvariantCulture);
        double reserve = double.Parse(env["Farm__ReserveFraction"]!, CultureInfo.InvariantCulture);
        var estimator = new RenderMemoryEstimator(ModelDimensions.Wan13B);
        long capacity = (long)((deviceGiB * (1L << 30) - estimator.ModelBytes) * (1 - reserve));
        long perVideo = estimator.EstimateVideoBytes(1920, 1088, 21, "histream");
        long videos = capacity / perVideo;

        var hpa = m.All<V2HorizontalPodAutoscaler>().Single();
        var target = hpa.Spec.Metrics.Single().External.Target.AverageValue;
        Assert.Equal(videos.ToString(CultureInfo.InvariantCulture), target.ToString());
        Assert.True(videos >= 1, $"{deviceGiB} GiB holds no 1080p video ({perVideo / (double)(1L << 30):F1} GiB each).");
    }

    [Fact]
    public void Hpa_scales_the_silos_on_the_metric_the_adapter_serves()
    {
        var hpa = Manifests.Kustomize(Production).All<V2HorizontalPodAutoscaler>().Single();
        Assert.Equal("histream-silo", hpa.Spec.ScaleTargetRef.Name);
        var metric = hpa.Spec.Metrics.Single().External.Metric.Name;
        Assert.Contains(metric, MonitoringFiles.AdapterExternalMetricNames());
        Assert.True(hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds >= 300, "scale-down interrupts renders: keep a long stabilization window");
    }

    [Fact]
    public void Storage_secret_template_matches_what_the_pods_reference()
    {
        var template = Manifests.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "k8s/storage-secret.template.yaml")), "storage-secret.template.yaml");
        var secret = template.All<V1Secret>().Single();
        var silo = FarmChecks.Find(Manifests.Kustomize(Production), "silo").Container;
        var reference = silo.Env.Single(e => e.Name == "Farm__Blob__ConnectionString").ValueFrom.SecretKeyRef;
        Assert.Equal(secret.Metadata.Name, reference.Name);
        Assert.Contains(reference.Key, secret.StringData.Keys);
        Assert.Contains(reference.Key, FarmChecks.ExternalSecretKeys);
        Assert.DoesNotContain(Manifests.Kustomize(Production).All<V1Secret>(), s => s.Metadata.Name == secret.Metadata.Name);
    }

    private static void AssertNone(List<string> problems) => Assert.True(problems.Count == 0, string.Join("\n", problems));
}
