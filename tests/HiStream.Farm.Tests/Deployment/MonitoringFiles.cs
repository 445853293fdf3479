using System.Text.RegularExpressions;
using HiStream.Farm.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>k8s/monitoring: prometheus-adapter-values.yaml (the external metrics it serves and the Prometheus series
/// its queries read) and podmonitor.yaml (what the Prometheus Operator scrapes).</summary>
public static partial class MonitoringFiles
{
    public static string AdapterValuesPath => Path.Combine(RepoPaths.Root, "k8s", "monitoring", "prometheus-adapter-values.yaml");
    public static string PodMonitorPath => Path.Combine(RepoPaths.Root, "k8s", "monitoring", "podmonitor.yaml");

    /// <summary>The PodMonitor's namespace, pod selector labels and scraped endpoints (port name, path).</summary>
    public static (string Namespace, IReadOnlyDictionary<string, string> Selector, IReadOnlyList<(string Port, string Path)> Endpoints) PodMonitor()
    {
        var root = Yaml.LoadMapping(PodMonitorPath);
        Assert.Equal("monitoring.coreos.com/v1", ((YamlScalarNode)root["apiVersion"]).Value);
        Assert.Equal("PodMonitor", ((YamlScalarNode)root["kind"]).Value);
        var spec = (YamlMappingNode)root["spec"];
        var labels = (YamlMappingNode)((YamlMappingNode)spec["selector"])["matchLabels"];
        var endpoints = ((YamlSequenceNode)spec["podMetricsEndpoints"]).Children.Cast<YamlMappingNode>()
            .Select(e => (((YamlScalarNode)e["port"]).Value!, ((YamlScalarNode)e["path"]).Value!))
            .ToList();
        return (((YamlScalarNode)((YamlMappingNode)root["metadata"])["namespace"]).Value!,
            labels.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!),
            endpoints);
    }

    private static IEnumerable<YamlMappingNode> ExternalRules()
    {
        var root = Yaml.LoadMapping(AdapterValuesPath);
        var rules = (YamlMappingNode)root["rules"];
        return ((YamlSequenceNode)rules["external"]).Children.Cast<YamlMappingNode>();
    }

    public static IReadOnlyList<string> AdapterExternalMetricNames() =>
        ExternalRules().Select(r => ((YamlScalarNode)((YamlMappingNode)r["name"])["as"]).Value!).ToList();

    /// <summary>Series names (histream_*) in the rules' seriesQuery and metricsQuery.</summary>
    public static IReadOnlySet<string> AdapterInputSeries() =>
        ExternalRules()
            .SelectMany(r => new[] { ((YamlScalarNode)r["seriesQuery"]).Value!, ((YamlScalarNode)r["metricsQuery"]).Value! })
            .SelectMany(q => SeriesName().Matches(q).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\bhistream_[a-z0-9_]+")]
    private static partial Regex SeriesName();
}

public static class Yaml
{
    public static YamlMappingNode LoadMapping(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
