using HiStream.Gateway.Api;
using k8s.Models;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>KEDA scaling as rendered by kustomize (cpu-dev, gpu-prod) and Helm (both profiles): a ScaledObject on the
/// gateway's /scaling/demand (a ClusterIP Service of its own on the gateway's management port), videos per silo = the silos' slots, min 0
/// in dev, a cooldown and scale-down window longer than a video, no second autoscaler; and the silos' RBAC for the
/// pod-deletion cost.</summary>
public sealed class KedaScalingTests
{
    public static TheoryData<string, int> KustomizeOverlays => new() { { KustomizeTests.CpuDev, 0 }, { KustomizeTests.GpuProd, 1 } };

    [Theory]
    [MemberData(nameof(KustomizeOverlays))]
    public void Kustomize_overlay_scales_the_silos_with_keda_on_the_gateway_demand(string overlay, int minReplicas) =>
        Check(Manifests.Kustomize(overlay), minReplicas, "histream-silo", "histream-gateway");

    [HelmFact]
    public void Helm_cpu_dev_profile_scales_from_zero_with_keda() =>
        Check(Manifests.HelmTemplate("h", "histream", "ci/cpu-dev-values.yaml"), 0, "h-histream-farm-silo", "h-histream-farm-gateway");

    [HelmFact]
    public void Helm_renders_keda_and_rbac_only_when_asked()
    {
        var m = Manifests.HelmTemplate("h", "histream", "ci/gpu-prod-values.yaml");
        Assert.Empty(m.Custom);
        Assert.Single(m.All<V2HorizontalPodAutoscaler>());
        Assert.Empty(m.All<V1Role>());
    }

    private static void Check(Manifests m, int minReplicas, string silo, string gateway)
    {
        var so = KedaChecks.Read(Assert.Single(m.Custom));
        Assert.Empty(m.All<V2HorizontalPodAutoscaler>()); // KEDA owns the HPA: no second autoscaler on the silos
        Assert.Equal(silo, so.Target);
        Assert.Contains(m.All<V1Deployment>(), d => d.Metadata.Name == silo);
        Assert.Equal(minReplicas, so.Min);
        Assert.True(so.Max >= Math.Max(1, so.Min));

        // The URL names a rendered ClusterIP Service of the gateway pods, in the objects' namespace, on the port that
        // targets the gateway's management port (where the endpoint answers), at the endpoint the gateway maps; the
        // API's Service (the Ingress's backend) does not carry that port.
        var url = new Uri(so.Url);
        var service = m.All<V1Service>().Single(s => url.Host == $"{s.Metadata.Name}.histream.svc.cluster.local");
        Assert.Equal("ClusterIP", service.Spec.Type ?? "ClusterIP");
        var gatewayPod = FarmChecks.Find(m, "gateway");
        Assert.True(FarmChecks.Selects(service.Spec.Selector, gatewayPod.Pod.Metadata.Labels), $"{service.Metadata.Name} does not select the gateway pods");
        var port = service.Spec.Ports.Single(p => p.Port == url.Port);
        Assert.Equal(FarmChecks.ManagementPortName, port.TargetPort.Value);
        Assert.Contains(gatewayPod.Container.Ports, p => p.Name == port.TargetPort.Value);
        Assert.DoesNotContain(m.All<V1Service>().Single(s => s.Metadata.Name == gateway).Spec.Ports, p => p.TargetPort.Value == FarmChecks.ManagementPortName);
        Assert.Equal("/scaling/demand", url.AbsolutePath);
        Assert.Equal("videos", so.ValueLocation);
        Assert.Equal(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(nameof(ScalingDemand.Videos)), so.ValueLocation);

        // Videos per silo = the slots the silos are given (dev: Farm__Slots), or the 1080p slots of one GPU.
        var env = FarmChecks.Environment(m, "silo");
        if (env.TryGetValue("Farm__Slots", out var slots) && slots is not null) Assert.Equal(slots, so.TargetValue);
        else Assert.Equal("3", so.TargetValue);

        // Longer than one video and the silo's whole drain (lease + drain + shutdown), so scale-in never races a render.
        Assert.True(so.Cooldown >= 900, $"cooldownPeriod {so.Cooldown} s");
        Assert.True(so.ScaleDownWindow >= 900, $"scale-down stabilization {so.ScaleDownWindow} s");

        // The silos may patch their own pod (pod-deletion-cost) and nothing else.
        var pod = FarmChecks.Find(m, "silo").Pod;
        var account = m.All<V1ServiceAccount>().Single(a => a.Metadata.Name == pod.Spec.ServiceAccountName);
        Assert.NotEqual(false, account.AutomountServiceAccountToken);
        var binding = m.All<V1RoleBinding>().Single(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name));
        var rule = Assert.Single(m.All<V1Role>().Single(r => r.Metadata.Name == binding.RoleRef.Name).Rules);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "patch"], rule.Verbs.Order());
        Assert.Contains("POD_NAMESPACE", env.Keys);
        Assert.Contains("POD_NAME", env.Keys);
    }
}
