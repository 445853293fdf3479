using System.Globalization;
using HiStream.Engine.Pipeline;
using HiStream.Farm.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>The kustomize base and overlays render (kubectl kustomize), parse strictly, and agree with the code.</summary>
public sealed class KustomizeTests
{
    public static TheoryData<string> Folders => new() { "k8s/base", "k8s/overlays/cpu-dev", "k8s/overlays/gpu-prod" };

    [Theory]
    [MemberData(nameof(Folders))]
    public void Renders_into_namespaced_objects_with_unique_names(string folder)
    {
        var m = Manifests.Kustomize(folder);
        Assert.NotEmpty(m.Objects);
        var ids = m.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(o => (o.Kind, o.Metadata.Name)).ToList();
        if (m.Merged) Assert.Equal(ids.Count, ids.Distinct().Count());
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
    public void Grace_period_covers_the_silo_drain_and_host_shutdown(string folder) =>
        AssertNone(FarmChecks.ShutdownProblems(Manifests.Kustomize(folder)));

    [Fact]
    public void Gpu_overlay_gives_each_silo_one_gpu_on_gpu_nodes_and_the_real_model()
    {
        var m = Manifests.Kustomize("k8s/overlays/gpu-prod");
        var (pod, silo, _) = m.Merged
            ? FarmChecks.Find(m, "silo")
            : (m.All<V1Deployment>().Last(d => d.Metadata.Name == "histream-silo").Spec.Template, m.All<V1Deployment>().Last(d => d.Metadata.Name == "histream-silo").Spec.Template.Spec.Containers.Single(), "histream-silo");
        Assert.Equal("1", silo.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("1", silo.Resources.Requests["nvidia.com/gpu"].ToString());
        Assert.True(pod.Spec.NodeSelector is { Count: > 0 }, "GPU silos need a nodeSelector for GPU nodes.");
        Assert.Contains(pod.Spec.Tolerations ?? [], t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        if (!m.Merged) return;

        var env = FarmChecks.Environment(m, "silo");
        Assert.Equal("cuda", env["Engine__Device"]);
        Assert.Equal("bfloat16", env["Engine__DType"]);
        Assert.False(env.ContainsKey("Farm__Slots"), "GPU silos plan their slots from device memory.");
        var mount = silo.VolumeMounts.Single(v => v.Name == "models");
        Assert.True(mount.ReadOnlyProperty);
        foreach (var key in new[] { "Engine__DitWeights", "Engine__VaeWeights", "Engine__TextEncoderWeights", "Engine__Tokenizer" })
            Assert.StartsWith(mount.MountPath + "/", env[key]);
        Assert.Contains(pod.Spec.Volumes, v => v.Name == "models" && v.PersistentVolumeClaim?.ClaimName is { } claim && m.All<V1PersistentVolumeClaim>().Any(p => p.Metadata.Name == claim));
        Assert.Contains(m.All<V1Ingress>(), i => i.Metadata.Annotations?.ContainsKey("nginx.ingress.kubernetes.io/auth-type") == true);
    }

    [Theory]
    [InlineData("k8s/base")]
    [InlineData("k8s/overlays/cpu-dev")]
    public void Cpu_renderings_request_no_gpu(string folder)
    {
        var silo = FarmChecks.Find(Manifests.Kustomize(folder), "silo").Container;
        Assert.False(silo.Resources.Limits?.ContainsKey("nvidia.com/gpu") ?? false);
        Assert.False(silo.Resources.Requests?.ContainsKey("nvidia.com/gpu") ?? false);
    }

    /// <summary>The HPA's videos-per-silo target is what one GPU silo really holds at 1080p: the slot planner's
    /// capacity ((DeviceMemoryGiB − DiT) × (1 − ReserveFraction)) over the estimator's bytes per 1920x1088 HiStream
    /// video of 81 frames.</summary>
    [Fact]
    public void Autoscaling_target_matches_the_1080p_videos_one_gpu_silo_holds()
    {
        var m = Manifests.Kustomize("k8s/overlays/gpu-prod");
        Assert.True(m.Merged, "needs kubectl to apply the overlay's patches");
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
        var hpa = Manifests.Kustomize("k8s/overlays/gpu-prod").All<V2HorizontalPodAutoscaler>().Single();
        Assert.Equal("histream-silo", hpa.Spec.ScaleTargetRef.Name);
        var metric = hpa.Spec.Metrics.Single().External.Metric.Name;
        Assert.Contains(metric, MonitoringFiles.AdapterExternalMetricNames());
        Assert.True(hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds >= 300, "scale-down interrupts renders: keep a long stabilization window");
    }

    [Fact]
    public void Storage_secret_template_matches_what_the_pods_reference()
    {
        var template = Manifests.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "k8s/base/storage-secret.template.yaml")), "storage-secret.template.yaml");
        var secret = template.All<V1Secret>().Single();
        var silo = FarmChecks.Find(Manifests.Kustomize("k8s/base"), "silo").Container;
        var reference = silo.Env.Single(e => e.Name == "Farm__Blob__ConnectionString").ValueFrom.SecretKeyRef;
        Assert.Equal(secret.Metadata.Name, reference.Name);
        Assert.Contains(reference.Key, secret.StringData.Keys);
        Assert.Contains(reference.Key, FarmChecks.ExternalSecretKeys);
        Assert.DoesNotContain(Manifests.Kustomize("k8s/base").All<V1Secret>(), s => s.Metadata.Name == secret.Metadata.Name);
    }

    private static void AssertNone(List<string> problems) => Assert.True(problems.Count == 0, string.Join("\n", problems));
}
