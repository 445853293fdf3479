using System.Diagnostics;
using HiStream.Farm.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace HiStream.Farm.Tests.Kubernetes;

/// <summary>The k8s/ manifests parse strictly as Kubernetes objects (wrong types or unknown fields fail) and keep the
/// properties the farm depends on. Rendered with <c>kubectl kustomize</c> when kubectl is on the PATH.</summary>
public sealed class ManifestTests
{
    private static readonly string Folder = Path.Combine(RepoPaths.Root, "k8s");

    private static List<object> Objects()
    {
        var yaml = Kustomize() ?? string.Join("\n---\n", Resources().Select(f => File.ReadAllText(Path.Combine(Folder, f))));
        return KubernetesYaml.LoadAllFromString(yaml, strict: true);
    }

    private static IEnumerable<string> Resources()
    {
        bool inResources = false;
        foreach (var line in File.ReadAllLines(Path.Combine(Folder, "kustomization.yaml")))
        {
            if (line.StartsWith("resources:")) inResources = true;
            else if (inResources && line.StartsWith("  - ")) yield return line[4..].Trim();
            else if (inResources && !line.StartsWith(' ')) inResources = false;
        }
    }

    private static string? Kustomize()
    {
        try
        {
            var start = new ProcessStartInfo("kubectl", ["kustomize", Folder]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(start)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"kubectl kustomize failed: {error}");
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no kubectl: parse the files listed in kustomization.yaml
        }
    }

    [Fact]
    public void EveryManifestParsesStrictly()
    {
        var objects = Objects();
        Assert.Equal(11, objects.Count);
        Assert.All(objects, o => Assert.NotNull(((IKubernetesObject<V1ObjectMeta>)o).Metadata.Name));
    }

    [Fact]
    public void SilosGetAGpuProbesAndTimeToCheckpointOnShutdown()
    {
        var objects = Objects();
        var silo = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "histream-silo");
        var pod = silo.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal(0, int.Parse(silo.Spec.Strategy.RollingUpdate.MaxUnavailable.Value));

        var config = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "histream-config").Data;
        var shutdown = TimeSpan.Parse(config["Farm__ShutdownTimeout"]);
        var drain = TimeSpan.Parse(config["Farm__DrainTimeout"]);
        Assert.True(drain < shutdown && shutdown.TotalSeconds < pod.TerminationGracePeriodSeconds,
            $"drain {drain} < shutdown {shutdown} < grace {pod.TerminationGracePeriodSeconds} s must hold");
        Assert.Contains(container.Env, e => e.Name == "POD_IP" && e.ValueFrom.FieldRef.FieldPath == "status.podIP");
        Assert.Equal("histream-redis:6379", config["Orleans__Redis"]);
        Assert.Contains(objects.OfType<V1Service>(), s => s.Metadata.Name == "histream-redis");
        Assert.Contains(objects.OfType<V1PodDisruptionBudget>(), p => p.Metadata.Name == "histream-silo");
    }

    [Fact]
    public void TheGatewayIsServedAndSharesTheResultStoreWithTheSilos()
    {
        var objects = Objects();
        var gateway = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "histream-gateway");
        var container = Assert.Single(gateway.Spec.Template.Spec.Containers);
        Assert.Equal("serve", container.Args[0]);
        var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == "histream-gateway");
        Assert.Equal(gateway.Spec.Selector.MatchLabels, service.Spec.Selector);
        foreach (var d in objects.OfType<V1Deployment>().Where(d => d.Metadata.Name != "histream-redis"))
        {
            var secret = d.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "Farm__Blob__ConnectionString").ValueFrom.SecretKeyRef;
            Assert.Equal("histream-storage", secret.Name);
        }
    }
}
