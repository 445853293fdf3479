using System.Text.RegularExpressions;
using HiStream.Farm.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>helm/histream-farm without a Helm binary: the paths of values.yaml, and the <c>.Values.…</c> paths the
/// templates use.</summary>
public static partial class HelmValues
{
    public static string ChartPath => Path.Combine(RepoPaths.Root, "helm", "histream-farm");

    /// <summary>Every path in a values file: "silo", "silo.image", "silo.image.tag", … (mappings only; a list or
    /// scalar ends a path).</summary>
    public static IReadOnlySet<string> Paths(string valuesFile)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        void Walk(YamlMappingNode node, string prefix)
        {
            foreach (var (key, value) in node.Children)
            {
                var path = prefix.Length == 0 ? ((YamlScalarNode)key).Value! : $"{prefix}.{((YamlScalarNode)key).Value}";
                paths.Add(path);
                if (value is YamlMappingNode child) Walk(child, path);
            }
        }
        Walk(Yaml.LoadMapping(Path.Combine(ChartPath, valuesFile)), "");
        return paths;
    }

    /// <summary>Paths that are values themselves (scalars, lists, empty maps), e.g. "silo.image.tag".</summary>
    public static IReadOnlySet<string> Leaves(string valuesFile)
    {
        var all = Paths(valuesFile);
        return all.Where(p => !all.Any(q => q.StartsWith(p + ".", StringComparison.Ordinal))).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>.Values paths used in templates/, by template file.</summary>
    public static IReadOnlyList<(string File, string Path)> TemplateReferences() =>
        Directory.EnumerateFiles(Path.Combine(ChartPath, "templates"))
            .SelectMany(f => ValuesPath().Matches(File.ReadAllText(f)).Select(m => (Path.GetFileName(f), m.Groups[1].Value.TrimStart('.'))))
            .ToList();

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesPath();
}
