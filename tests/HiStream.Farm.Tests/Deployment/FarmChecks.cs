using System.Globalization;
using System.Text.RegularExpressions;
using HiStream.Farm.Tests.Infrastructure;
using k8s.Models;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>Checks that hold for any rendering of the farm (kustomize base or overlay, Helm chart): the silo and
/// gateway containers are found by container name ("silo", "gateway"). Each returns the problems it found.</summary>
public static partial class FarmChecks
{
    /// <summary>The container port for the silo's /metrics and dashboard and the gateway's /scaling/demand
    /// (src/Silo/Hosting/ManagementPort.cs).</summary>
    public const string ManagementPortName = "management";

    /// <summary>Secrets the farm expects to exist outside the render (created once by the operator).</summary>
    public static readonly string[] ExternalSecretKeys = ["connectionString", "password"];

    public static (V1PodTemplateSpec Pod, V1Container Container, string Workload) Find(Manifests m, string container)
    {
        var found = m.Workloads()
            .SelectMany(w => w.Template.Spec.Containers.Where(c => c.Name == container).Select(c => (w.Template, c, w.Name)))
            .ToList();
        Assert.True(found.Count == 1, $"{m.Source}: expected one workload with a '{container}' container, found {found.Count}.");
        return found[0];
    }

    public static IReadOnlyDictionary<string, string?> Environment(Manifests m, string container, List<string>? problems = null)
    {
        var external = new List<string>();
        var env = m.Environment(Find(m, container).Container, external);
        foreach (var e in external)
            if (!(e.StartsWith("Secret/", StringComparison.Ordinal) && ExternalSecretKeys.Any(k => e.EndsWith($"[{k}]", StringComparison.Ordinal))))
                problems?.Add($"{container}: {e} is referenced but not rendered");
        return env;
    }

    /// <summary>Every environment variable maps to a configuration key the app reads, with a value that binds.</summary>
    public static List<string> EnvironmentProblems(Manifests m)
    {
        var problems = new List<string>();
        foreach (var container in new[] { "silo", "gateway" })
        {
            var env = Environment(m, container, problems);
            problems.AddRange(env.Keys.Select(AppConfiguration.Problem).OfType<string>().Select(p => $"{container}: {p}"));
            problems.AddRange(AppConfiguration.BindingProblems(env).Select(p => $"{container}: {p}"));
        }
        return problems;
    }

    /// <summary>Container ports agree with the ports the app is told to listen on; probes, Services, scrape
    /// annotations and PDB/HPA targets point at things that exist.</summary>
    public static List<string> PortProblems(Manifests m)
    {
        var problems = new List<string>();
        foreach (var container in new[] { "silo", "gateway" })
        {
            var (pod, c, _) = Find(m, container);
            var env = Environment(m, container);
            var ports = (c.Ports ?? []).Where(p => p.Name is not null).ToDictionary(p => p.Name, p => p.ContainerPort);
            if (!ports.TryGetValue("http", out var http)) problems.Add($"{container}: no port named http");
            else if (env.GetValueOrDefault("ASPNETCORE_HTTP_PORTS") != http.ToString(CultureInfo.InvariantCulture))
                problems.Add($"{container}: port http is {http} but ASPNETCORE_HTTP_PORTS is '{env.GetValueOrDefault("ASPNETCORE_HTTP_PORTS")}'");
            foreach (var (probeName, probe) in Probes(c))
                if (probe?.HttpGet is { } get && !ports.ContainsKey(get.Port?.Value ?? "") && !ports.ContainsValue(ParseInt(get.Port?.Value ?? "")))
                    problems.Add($"{container}: {probeName} probe targets port '{get.Port?.Value}', which the container does not declare");
            Expect(container, ports, ManagementPortName, env, "Management__Port", problems);
            var management = ports.GetValueOrDefault(ManagementPortName);
            if (management == http) problems.Add($"{container}: the management port is the http port {http}: what it serves would be public");
            if (container == "silo")
            {
                Expect(container, ports, "orleans-silo", env, "Orleans__SiloPort", problems);
                Expect(container, ports, "orleans-gateway", env, "Orleans__GatewayPort", problems);
                string? Annotation(string key) => pod.Metadata.Annotations is { } a && a.TryGetValue(key, out var v) ? v : null;
                if (Annotation("prometheus.io/scrape") != "true") problems.Add("silo: no prometheus.io/scrape annotation");
                if (Annotation("prometheus.io/port") != management.ToString(CultureInfo.InvariantCulture))
                    problems.Add($"silo: prometheus.io/port '{Annotation("prometheus.io/port")}' is not the management port {management}");
                if (!SiloManagementPaths().Contains(Annotation("prometheus.io/path") ?? ""))
                    problems.Add($"silo: prometheus.io/path '{Annotation("prometheus.io/path")}' is not served on the management port");
            }
            foreach (var (probeName, probe) in Probes(c))
                if (probe?.HttpGet?.Port?.Value is { } target && (target == ManagementPortName || ParseInt(target) == management))
                    problems.Add($"{container}: the {probeName} probe targets the management port; probes belong on the http port");
        }
        foreach (var service in m.All<V1Service>())
        {
            var pods = m.Workloads().Where(w => Selects(service.Spec.Selector, w.Template.Metadata.Labels)).ToList();
            if (pods.Count == 0) { problems.Add($"Service {service.Metadata.Name} selects no workload"); continue; }
            foreach (var port in service.Spec.Ports)
                if (port.TargetPort?.Value is { } target && !pods.Any(p => p.Template.Spec.Containers.Any(c => (c.Ports ?? []).Any(cp => cp.Name == target || cp.ContainerPort.ToString(CultureInfo.InvariantCulture) == target))))
                    problems.Add($"Service {service.Metadata.Name} targets port '{target}' that its pods do not declare");
        }
        foreach (var pdb in m.All<V1PodDisruptionBudget>())
            if (!m.Workloads().Any(w => Selects(pdb.Spec.Selector.MatchLabels, w.Template.Metadata.Labels)))
                problems.Add($"PodDisruptionBudget {pdb.Metadata.Name} selects no workload");
        foreach (var hpa in m.All<V2HorizontalPodAutoscaler>())
            if (!m.All<V1Deployment>().Any(d => d.Metadata.Name == hpa.Spec.ScaleTargetRef.Name && hpa.Spec.ScaleTargetRef.Kind == "Deployment"))
                problems.Add($"HorizontalPodAutoscaler {hpa.Metadata.Name} targets {hpa.Spec.ScaleTargetRef.Kind}/{hpa.Spec.ScaleTargetRef.Name}, which is not rendered");
        return problems;
    }

    /// <summary>Probes use paths the app serves; the silo's readiness (model loaded, not draining) differs from its
    /// liveness (the process answers); every container has all three probes.</summary>
    public static List<string> ProbeProblems(Manifests m)
    {
        var problems = new List<string>();
        foreach (var container in new[] { "silo", "gateway" })
        {
            var c = Find(m, container).Container;
            var served = ServedPaths(container);
            foreach (var (name, probe) in Probes(c))
            {
                if (probe is null) { problems.Add($"{container}: no {name} probe"); continue; }
                if (probe.HttpGet is null) problems.Add($"{container}: {name} probe is not an HTTP probe");
                else if (!served.Contains(probe.HttpGet.Path)) problems.Add($"{container}: {name} probe path {probe.HttpGet.Path} is not served (served: {string.Join(", ", served)})");
            }
        }
        var silo = Find(m, "silo").Container;
        if (silo.ReadinessProbe?.HttpGet?.Path == silo.LivenessProbe?.HttpGet?.Path)
            problems.Add("silo: readiness and liveness probe the same path; readiness must report model loading and draining");
        return problems;
    }

    /// <summary>What the gateway's admission (GatewayLimits.Admission → RenderAdmission.For) reads besides its own
    /// Gateway:Limits section: the silos render with the same keys, so the two must agree or the gateway admits
    /// items every silo refuses. Farm:DeviceMemoryGiB is not here: the gateway reads it only without
    /// Gateway:Limits:LargestSiloMemoryGiB (the silo's value is a planner figure, not the GPU's memory).</summary>
    public static readonly string[] AdmissionSettings = ["Farm__ReserveFraction", "Engine__DType", "Engine__DitWeights", "Engine__DitConfig", "Engine__Decode"];

    /// <summary>Silo and gateway see the same value (or both none) for every <see cref="AdmissionSettings"/> key.</summary>
    public static List<string> AdmissionSettingProblems(Manifests m)
    {
        var silo = Environment(m, "silo");
        var gateway = Environment(m, "gateway");
        return AdmissionSettings
            .Where(key => silo.GetValueOrDefault(key) != gateway.GetValueOrDefault(key))
            .Select(key => $"{key}: silo '{silo.GetValueOrDefault(key) ?? "(unset)"}', gateway '{gateway.GetValueOrDefault(key) ?? "(unset)"}': the gateway would size items for another silo")
            .ToList();
    }

    /// <summary>terminationGracePeriodSeconds &gt; Farm:ShutdownTimeout (HostOptions) &gt; Farm:DrainTimeout.</summary>
    public static List<string> ShutdownProblems(Manifests m)
    {
        var problems = new List<string>();
        var (pod, _, _) = Find(m, "silo");
        var env = Environment(m, "silo");
        var grace = pod.Spec.TerminationGracePeriodSeconds ?? 30;
        if (!TimeSpan.TryParse(env.GetValueOrDefault("Farm__ShutdownTimeout") ?? "", CultureInfo.InvariantCulture, out var shutdown))
        {
            problems.Add("silo: Farm__ShutdownTimeout is not set to a TimeSpan");
            return problems;
        }
        var drain = TimeSpan.TryParse(env.GetValueOrDefault("Farm__DrainTimeout") ?? "", CultureInfo.InvariantCulture, out var d) ? d : new HiStream.Grains.Hosting.FarmOptions().DrainTimeout;
        if (grace <= shutdown.TotalSeconds) problems.Add($"silo: terminationGracePeriodSeconds {grace} must exceed Farm__ShutdownTimeout {shutdown.TotalSeconds} s");
        if (shutdown <= drain) problems.Add($"silo: Farm__ShutdownTimeout {shutdown} must exceed Farm__DrainTimeout {drain} (the drain runs inside the host shutdown)");
        return problems;
    }

    public static IEnumerable<(string Name, V1Probe? Probe)> Probes(V1Container c) =>
        [("startup", c.StartupProbe), ("liveness", c.LivenessProbe), ("readiness", c.ReadinessProbe)];

    /// <summary>HTTP paths the silo (src/Silo/Program.cs) or the gateway (src/Gateway/Api/GatewayApp.cs) map on
    /// their public HTTP port.</summary>
    public static IReadOnlySet<string> ServedPaths(string component) =>
        MappedPaths(component == "silo" ? "src/Silo/Program.cs" : "src/Gateway/Api/GatewayApp.cs");

    /// <summary>HTTP paths the silo maps on its management port only (src/Silo/Hosting/ManagementEndpoints.cs).</summary>
    public static IReadOnlySet<string> SiloManagementPaths() => MappedPaths("src/Silo/Hosting/ManagementEndpoints.cs");

    private static HashSet<string> MappedPaths(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, file));
        var paths = new HashSet<string>(MapPath().Matches(text).Select(x => x.Groups[1].Value), StringComparer.Ordinal);
        if (text.Contains("MapPrometheusScrapingEndpoint()", StringComparison.Ordinal)) paths.Add("/metrics");
        return paths;
    }

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static void Expect(string container, Dictionary<string, int> ports, string portName, IReadOnlyDictionary<string, string?> env, string variable, List<string> problems)
    {
        if (!ports.TryGetValue(portName, out var port)) problems.Add($"{container}: no port named {portName}");
        else if (env.GetValueOrDefault(variable) != port.ToString(CultureInfo.InvariantCulture))
            problems.Add($"{container}: port {portName} is {port} but {variable} is '{env.GetValueOrDefault(variable)}'");
    }

    private static int ParseInt(string s) => int.TryParse(s, CultureInfo.InvariantCulture, out var i) ? i : -1;

    [GeneratedRegex(@"\.Map(?:Get|OrleansDashboard|Health[A-Za-z]*)\(""(/[^""]*)""")]
    private static partial Regex MapPath();
}
