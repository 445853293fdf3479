using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>Structural checks of a KEDA ScaledObject (KubernetesClient has no model for it): only fields of KEDA's
/// v1alpha1 schema, with the right shapes, and the values the farm depends on.</summary>
public static class KedaChecks
{
    private static readonly HashSet<string> SpecKeys = ["scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
        "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers"];
    private static readonly HashSet<string> TriggerKeys = ["type", "name", "metadata", "metricType", "authenticationRef", "useCachedMetrics"];
    private static readonly HashSet<string> MetricsApiKeys = ["url", "valueLocation", "targetValue", "activationTargetValue", "format", "authMode", "method", "unsafeSsl"];

    public sealed record ScaledObject(string Name, string Target, int Min, int Max, int Cooldown, int ScaleDownWindow, string Url, string ValueLocation, string TargetValue);

    public static ScaledObject Read(YamlMappingNode o)
    {
        Assert.Equal("keda.sh/v1alpha1", Scalar(o, "apiVersion"));
        Assert.Equal("ScaledObject", Scalar(o, "kind"));
        Assert.Subset(new HashSet<string> { "apiVersion", "kind", "metadata", "spec" }, Keys(o));
        var spec = Map(o, "spec");
        Assert.Subset(SpecKeys, Keys(spec));
        var target = Map(spec, "scaleTargetRef");
        Assert.Subset(new HashSet<string> { "name", "kind", "apiVersion", "envSourceContainerName" }, Keys(target));
        var triggers = (YamlSequenceNode)spec.Children[new YamlScalarNode("triggers")];
        var trigger = (YamlMappingNode)Assert.Single(triggers.Children);
        Assert.Subset(TriggerKeys, Keys(trigger));
        Assert.Equal("metrics-api", Scalar(trigger, "type"));
        Assert.Equal("AverageValue", Scalar(trigger, "metricType"));
        var metadata = Map(trigger, "metadata");
        Assert.Subset(MetricsApiKeys, Keys(metadata));
        Assert.All(metadata.Children.Values, v => Assert.IsType<YamlScalarNode>(v)); // KEDA's trigger metadata is map[string]string
        var behavior = Map(Map(Map(spec, "advanced"), "horizontalPodAutoscalerConfig"), "behavior");
        return new ScaledObject(Scalar(Map(o, "metadata"), "name"), Scalar(target, "name"), Int(spec, "minReplicaCount"), Int(spec, "maxReplicaCount"),
            Int(spec, "cooldownPeriod"), Int(Map(behavior, "scaleDown"), "stabilizationWindowSeconds"), Scalar(metadata, "url"), Scalar(metadata, "valueLocation"),
            Scalar(metadata, "targetValue"));
    }

    private static HashSet<string> Keys(YamlMappingNode m) => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
    private static YamlMappingNode Map(YamlMappingNode m, string key) => Assert.IsType<YamlMappingNode>(m.Children[new YamlScalarNode(key)]);
    private static string Scalar(YamlMappingNode m, string key) => Assert.IsType<YamlScalarNode>(m.Children[new YamlScalarNode(key)]).Value!;
    private static int Int(YamlMappingNode m, string key) => int.Parse(Scalar(m, key), System.Globalization.CultureInfo.InvariantCulture);
}
