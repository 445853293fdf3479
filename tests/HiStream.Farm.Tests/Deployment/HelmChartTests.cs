using HiStream.Farm.Tests.Infrastructure;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>helm/histream-farm: static checks that need no Helm binary, then (where tools/helm/install.sh or a
/// Helm on PATH provides one) the rendered chart goes through the same checks as the kustomize overlays and is
/// compared with them.</summary>
public sealed class HelmChartTests
{
    public static TheoryData<string> Profiles => new() { "ci/cpu-dev-values.yaml", "ci/gpu-prod-values.yaml" };

    [Fact]
    public void Chart_yaml_declares_a_v2_application_chart()
    {
        var chart = Yaml.LoadMapping(Path.Combine(HelmValues.ChartPath, "Chart.yaml"));
        Assert.Equal("v2", ((YamlScalarNode)chart["apiVersion"]).Value);
        Assert.Equal("histream-farm", ((YamlScalarNode)chart["name"]).Value);
        Assert.Equal("application", ((YamlScalarNode)chart["type"]).Value);
        Assert.Matches(@"^\d+\.\d+\.\d+$", ((YamlScalarNode)chart["version"]).Value!);
    }

    [Fact]
    public void Every_values_path_a_template_uses_exists_in_values_yaml()
    {
        var paths = HelmValues.Paths("values.yaml");
        var missing = HelmValues.TemplateReferences().Where(r => !paths.Contains(r.Path)).Select(r => $"{r.File}: .Values.{r.Path}").Distinct().ToList();
        Assert.True(missing.Count == 0, "Not in values.yaml:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Every_setting_in_values_yaml_is_used_by_a_template()
    {
        var used = HelmValues.TemplateReferences().Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        var unused = HelmValues.Leaves("values.yaml")
            .Where(leaf => !used.Any(u => leaf == u || leaf.StartsWith(u + ".", StringComparison.Ordinal)))
            .ToList();
        Assert.True(unused.Count == 0, "Settings no template reads:\n" + string.Join("\n", unused));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Profile_values_only_set_settings_the_chart_has(string profile)
    {
        var known = HelmValues.Paths("values.yaml");
        var leaves = HelmValues.Leaves("values.yaml");
        // A profile may go below a leaf only where the chart's value is a free-form map (resources, nodeSelector, …).
        var unknown = HelmValues.Paths(profile).Where(p => !known.Contains(p) && !leaves.Any(l => p.StartsWith(l + ".", StringComparison.Ordinal))).ToList();
        Assert.True(unknown.Count == 0, $"{profile} sets settings values.yaml does not have:\n" + string.Join("\n", unknown));
    }

    [HelmTheory]
    [MemberData(nameof(Profiles))]
    public void Rendered_chart_passes_the_farm_checks(string profile)
    {
        var m = Manifests.HelmTemplate("histream", "histream", profile);
        var problems = FarmChecks.EnvironmentProblems(m)
            .Concat(FarmChecks.PortProblems(m))
            .Concat(FarmChecks.ProbeProblems(m))
            .Concat(FarmChecks.ShutdownProblems(m))
            .Concat(FarmChecks.AdmissionSettingProblems(m))
            .Concat(NetworkPolicyChecks.SiloPortProblems(m))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Without a Helm binary: the chart's defaults give the silo the management port, dashboard setting and
    /// NetworkPolicy peers that k8s/ gives it, and the gateway its management port.</summary>
    [Fact]
    public void Chart_defaults_put_the_management_ports_where_kustomize_does()
    {
        var values = Yaml.LoadMapping(Path.Combine(HelmValues.ChartPath, "values.yaml"));
        var management = (YamlMappingNode)((YamlMappingNode)values["silo"])["management"];
        var policy = (YamlMappingNode)values["networkPolicy"];
        var k8s = Manifests.Kustomize(KustomizeTests.Production);
        var silo = FarmChecks.Find(k8s, "silo").Container;
        var env = FarmChecks.Environment(k8s, "silo");

        Assert.Equal(silo.Ports.Single(p => p.Name == FarmChecks.ManagementPortName).ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)management["port"]).Value);
        Assert.Equal(env["Management__Port"], ((YamlScalarNode)management["port"]).Value);
        Assert.Equal(env["Management__Dashboard"], ((YamlScalarNode)management["dashboard"]).Value);
        var peer = Assert.Single(NetworkPolicyChecks.ManagementPeers(k8s));
        Assert.Equal(peer.Namespace, ((YamlScalarNode)policy["monitoringNamespace"]).Value);
        var podLabels = ((YamlMappingNode)policy["prometheusPodLabels"]).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
        Assert.Equal(peer.PodLabels, podLabels);

        var gatewayPort = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)values["gateway"])["management"])["port"]).Value;
        Assert.Equal(FarmChecks.Find(k8s, "gateway").Container.Ports.Single(p => p.Name == FarmChecks.ManagementPortName).ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), gatewayPort);

        var template = File.ReadAllText(Path.Combine(HelmValues.ChartPath, "templates", "silo-deployment.yaml"));
        Assert.Contains("prometheus.io/port: {{ .Values.silo.management.port | quote }}", template);
        Assert.Contains("- name: management\n              containerPort: {{ .Values.silo.management.port }}", template);
    }

    [HelmFact]
    public void Changing_the_silos_reserve_or_decode_changes_what_the_gateway_sizes_items_with()
    {
        var values = Path.Combine(Path.GetTempPath(), $"histream-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(values, "storage:\n  connectionString: UseDevelopmentStorage=true\nsilo:\n  reserveFraction: 0.25\n  engine:\n    decode: false\n    dtype: float32\n");
        try
        {
            var m = Manifests.HelmTemplate("histream", "histream", values);
            var gateway = FarmChecks.Environment(m, "gateway");
            Assert.Equal("0.25", gateway.GetValueOrDefault("Farm__ReserveFraction"));
            Assert.Equal("false", gateway.GetValueOrDefault("Engine__Decode"));
            Assert.Equal("float32", gateway.GetValueOrDefault("Engine__DType"));
            Assert.Empty(FarmChecks.AdmissionSettingProblems(m));
        }
        finally
        {
            File.Delete(values);
        }
    }

    [HelmFact]
    public void Chart_refuses_to_render_without_a_storage_connection()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Manifests.HelmTemplate("histream", "histream"));
        Assert.Contains("storage.existingSecret", ex.Message);
    }

    [HelmTheory]
    [InlineData("ci/gpu-prod-values.yaml", KustomizeTests.Production)]
    [InlineData("ci/cpu-dev-values.yaml", KustomizeTests.CpuDev)]
    public void Chart_and_kustomize_overlay_configure_the_same_farm(string profile, string overlay)
    {
        var helm = Manifests.HelmTemplate("histream", "histream", profile);
        var kustomize = Manifests.Kustomize(overlay);
        Assert.True(kustomize.Merged, "needs kubectl");
        foreach (var container in new[] { "silo", "gateway" })
        {
            var h = FarmChecks.Find(helm, container);
            var k = FarmChecks.Find(kustomize, container);
            // Same settings with the same values, except those naming other objects (release-prefixed in Helm).
            var hEnv = FarmChecks.Environment(helm, container).Where(kv => kv.Key != "Orleans__Redis").ToDictionary();
            var kEnv = FarmChecks.Environment(kustomize, container).Where(kv => kv.Key != "Orleans__Redis").ToDictionary();
            var onlyHelm = hEnv.Keys.Except(kEnv.Keys).ToList();
            var onlyKustomize = kEnv.Keys.Except(hEnv.Keys).ToList();
            Assert.True(onlyHelm.Count == 0 && onlyKustomize.Count == 0, $"{container}: only in Helm: {string.Join(", ", onlyHelm)}; only in kustomize: {string.Join(", ", onlyKustomize)}");
            var differ = hEnv.Keys.Intersect(kEnv.Keys).Where(key => !Same(hEnv[key], kEnv[key])).Select(key => $"{key}: helm '{hEnv[key]}' kustomize '{kEnv[key]}'").ToList();
            Assert.True(differ.Count == 0, $"{container}:\n" + string.Join("\n", differ));

            Assert.Equal(Quantities(k.Container.Resources.Requests), Quantities(h.Container.Resources.Requests));
            Assert.Equal(Quantities(k.Container.Resources.Limits), Quantities(h.Container.Resources.Limits));
            foreach (var ((name, kp), (_, hp)) in FarmChecks.Probes(k.Container).Zip(FarmChecks.Probes(h.Container)))
            {
                Assert.True(kp!.HttpGet.Path == hp!.HttpGet.Path, $"{container} {name} probe path");
                Assert.True(kp.FailureThreshold == hp.FailureThreshold && kp.PeriodSeconds == hp.PeriodSeconds, $"{container} {name} probe timing");
            }
            Assert.Equal(k.Pod.Spec.TerminationGracePeriodSeconds, h.Pod.Spec.TerminationGracePeriodSeconds);
            Assert.Equal(k.Pod.Spec.NodeSelector ?? new Dictionary<string, string>(), h.Pod.Spec.NodeSelector ?? new Dictionary<string, string>());
            Assert.Equal(k.Container.Ports.Select(p => (p.Name, p.ContainerPort)), h.Container.Ports.Select(p => (p.Name, p.ContainerPort)));
        }
        Assert.Equal(kustomize.All<V2HorizontalPodAutoscaler>().Select(Hpa), helm.All<V2HorizontalPodAutoscaler>().Select(Hpa));
    }

    private static bool Same(string? a, string? b) =>
        a == b || (double.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out var x) && double.TryParse(b, System.Globalization.CultureInfo.InvariantCulture, out var y) && x == y);

    private static Dictionary<string, string> Quantities(IDictionary<string, ResourceQuantity>? q) =>
        (q ?? new Dictionary<string, ResourceQuantity>()).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());

    private static string Hpa(V2HorizontalPodAutoscaler h) =>
        $"{h.Spec.MinReplicas}-{h.Spec.MaxReplicas} {h.Spec.Metrics.Single().External.Metric.Name} {h.Spec.Metrics.Single().External.Target.AverageValue} " +
        $"up {h.Spec.Behavior.ScaleUp.StabilizationWindowSeconds}/{h.Spec.Behavior.ScaleUp.Policies.Single().Value}/{h.Spec.Behavior.ScaleUp.Policies.Single().PeriodSeconds} " +
        $"down {h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds}/{h.Spec.Behavior.ScaleDown.Policies.Single().Value}/{h.Spec.Behavior.ScaleDown.Policies.Single().PeriodSeconds}";
}
