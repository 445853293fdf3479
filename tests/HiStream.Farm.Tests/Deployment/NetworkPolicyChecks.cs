using System.Globalization;
using k8s.Models;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>Who the NetworkPolicies let reach the silo's ports: the management port (/metrics, /dashboard) only pods
/// of a named namespace (Prometheus in monitoring), the http port (probes) nobody, since the kubelet probes from the
/// node, which NetworkPolicies always allow.</summary>
public static class NetworkPolicyChecks
{
    private const string NamespaceLabel = "kubernetes.io/metadata.name";

    public static List<string> SiloPortProblems(Manifests m)
    {
        var problems = new List<string>();
        var (pod, container, _) = FarmChecks.Find(m, "silo");
        var ports = (container.Ports ?? []).Where(p => p.Name is not null).ToDictionary(p => p.Name, p => p.ContainerPort);
        var policies = m.All<V1NetworkPolicy>()
            .Where(p => (p.Spec.PolicyTypes ?? ["Ingress"]).Contains("Ingress") && FarmChecks.Selects(p.Spec.PodSelector.MatchLabels, pod.Metadata.Labels))
            .ToList();
        if (policies.Count == 0)
        {
            problems.Add("no NetworkPolicy selects the silo pods: any pod reaches /metrics and the dashboard");
            return problems;
        }
        var rules = policies.SelectMany(p => p.Spec.Ingress ?? []).ToList();
        var management = rules.Where(r => Opens(r, FarmChecks.ManagementPortName, ports)).ToList();
        if (management.Count == 0) problems.Add("no NetworkPolicy rule lets Prometheus reach the silo's management port");
        foreach (var rule in management)
        {
            if (rule.FromProperty is not { Count: > 0 }) problems.Add("a rule opens the silo's management port to every source");
            foreach (var peer in rule.FromProperty ?? [])
            {
                if (peer.IpBlock is not null) problems.Add($"a rule opens the silo's management port to the addresses {peer.IpBlock.Cidr}");
                else if (NamespaceOf(peer) is not { Length: > 0 })
                    problems.Add($"a rule opens the silo's management port to pods not restricted to one namespace by {NamespaceLabel}");
            }
        }
        if (rules.Any(r => Opens(r, "http", ports)))
            problems.Add("a rule opens the silo's http port: only the kubelet (node traffic, always allowed) needs it");
        return problems;
    }

    /// <summary>The namespaces and pod labels that may reach the silo's management port.</summary>
    public static IReadOnlyList<(string Namespace, IDictionary<string, string>? PodLabels)> ManagementPeers(Manifests m)
    {
        var (pod, container, _) = FarmChecks.Find(m, "silo");
        var ports = (container.Ports ?? []).Where(p => p.Name is not null).ToDictionary(p => p.Name, p => p.ContainerPort);
        return m.All<V1NetworkPolicy>()
            .Where(p => FarmChecks.Selects(p.Spec.PodSelector.MatchLabels, pod.Metadata.Labels))
            .SelectMany(p => p.Spec.Ingress ?? [])
            .Where(r => Opens(r, FarmChecks.ManagementPortName, ports))
            .SelectMany(r => r.FromProperty ?? [])
            .Select(peer => (NamespaceOf(peer) ?? "", peer.PodSelector?.MatchLabels))
            .ToList();
    }

    private static string? NamespaceOf(V1NetworkPolicyPeer peer) =>
        peer.NamespaceSelector?.MatchLabels is { } labels && labels.TryGetValue(NamespaceLabel, out var name) ? name : null;

    /// <summary>A rule opens a port when it lists no ports, lists one without a number, or names it or its number.</summary>
    private static bool Opens(V1NetworkPolicyIngressRule rule, string portName, IReadOnlyDictionary<string, int> ports) =>
        rule.Ports is not { Count: > 0 } || rule.Ports.Any(p => p.Port?.Value is not { } value
            || value == portName
            || (ports.TryGetValue(portName, out var number) && value == number.ToString(CultureInfo.InvariantCulture)));
}
