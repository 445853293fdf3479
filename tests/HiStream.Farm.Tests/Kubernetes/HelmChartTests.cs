using System.Text.RegularExpressions;
using HiStream.Farm.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Kubernetes;

/// <summary>No Helm renderer is available here, so the chart is checked for what can go wrong without one: its YAML
/// files parse, and every <c>.Values.x.y</c> a template uses exists in values.yaml.</summary>
public sealed partial class HelmChartTests
{
    private static readonly string Chart = Path.Combine(RepoPaths.Root, "helm", "histream-farm");

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesReference();

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Chart, file)));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [Fact]
    public void ChartAndValuesParse()
    {
        var chart = Load("Chart.yaml");
        Assert.Equal("histream-farm", chart.Children[new YamlScalarNode("name")].ToString());
        Assert.Equal("v2", chart.Children[new YamlScalarNode("apiVersion")].ToString());
        Load("values.yaml");
    }

    [Fact]
    public void EveryValueATemplateUsesIsDefined()
    {
        var values = Load("values.yaml");
        var missing = new List<string>();
        foreach (var template in Directory.GetFiles(Path.Combine(Chart, "templates")))
            foreach (Match m in ValuesReference().Matches(File.ReadAllText(template)))
            {
                YamlNode node = values;
                foreach (var key in m.Groups[1].Value.TrimStart('.').Split('.'))
                {
                    if (node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child)) node = child;
                    else
                    {
                        missing.Add($"{Path.GetFileName(template)}: .Values{m.Groups[1].Value}");
                        break;
                    }
                }
            }
        Assert.Empty(missing);
    }

    [Fact]
    public void TheChartHasTheSameObjectsAsTheKustomization()
    {
        var kinds = Directory.GetFiles(Path.Combine(Chart, "templates"), "*.yaml")
            .SelectMany(f => File.ReadAllLines(f)).Where(l => l.StartsWith("kind: ")).Select(l => l[6..]).Order().ToList();
        // k8s/ plus the kustomize components (KEDA, pod-deletion-cost RBAC) that the chart offers as options.
        var components = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "deploy", "kustomize", "components")).SelectMany(d => Directory.GetFiles(d, "*.yaml"))
            .Where(f => !f.EndsWith(".patch.yaml"));
        var k8s = Directory.GetFiles(Path.Combine(RepoPaths.Root, "k8s"), "*.yaml").Concat(components).Where(f => !f.EndsWith("kustomization.yaml") && !f.EndsWith("namespace.yaml"))
            .SelectMany(f => File.ReadAllLines(f)).Where(l => l.StartsWith("kind: ")).Select(l => l[6..]).Order().ToList();
        Assert.Equal(k8s, kinds);
    }
}
