using System.Text.RegularExpressions;
using HiStream.Farm.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>k8s/monitoring/prometheus-adapter-values.yaml: the external metrics it serves and the Prometheus series
/// its queries read.</summary>
public static partial class MonitoringFiles
{
    public static string AdapterValuesPath => Path.Combine(RepoPaths.Root, "k8s", "monitoring", "prometheus-adapter-values.yaml");

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
