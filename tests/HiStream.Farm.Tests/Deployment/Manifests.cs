using HiStream.Farm.Tests.Infrastructure;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>Rendered Kubernetes objects, parsed strictly (an unknown field or a wrong type fails the parse).</summary>
public sealed class Manifests
{
    private Manifests(IReadOnlyList<object> objects, IReadOnlyList<YamlMappingNode> custom, string source, bool merged)
    {
        Objects = objects;
        Custom = custom;
        Source = source;
        Merged = merged;
    }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>Objects of custom resources KubernetesClient has no model for (KEDA's <c>keda.sh</c> group), as
    /// parsed YAML: tests check them structurally (<see cref="KedaChecks"/>).</summary>
    public IReadOnlyList<YamlMappingNode> Custom { get; }
    public string Source { get; }

    /// <summary>False when kubectl was missing and the kustomization's resource files were only loaded one by one
    /// (names, namespace and images not transformed).</summary>
    public bool Merged { get; }

    public static Manifests Parse(string yaml, string source, bool merged = true)
    {
        var documents = System.Text.RegularExpressions.Regex.Split(yaml, @"^---[^\n]*$", System.Text.RegularExpressions.RegexOptions.Multiline);
        var custom = new List<YamlMappingNode>();
        var core = new List<string>();
        foreach (var document in documents)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(document, @"^apiVersion:\s*keda\.sh/", System.Text.RegularExpressions.RegexOptions.Multiline))
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(document));
                custom.Add((YamlMappingNode)stream.Documents[0].RootNode);
            }
            else if (!string.IsNullOrWhiteSpace(document)) core.Add(document);
        }
        return new(KubernetesYaml.LoadAllFromString(string.Join("\n---\n", core), strict: true), custom, source, merged);
    }

    /// <summary><c>kubectl kustomize</c> of a folder under the repository; without kubectl, every resource file of
    /// the kustomization tree parsed on its own (an overlay with patches or generators then fails: it needs kubectl).</summary>
    public static Manifests Kustomize(string folder)
    {
        var path = Path.Combine(RepoPaths.Root, folder);
        if (DeployTools.Kubectl is { } kubectl) return Parse(DeployTools.Run(kubectl, "kustomize", path), $"kubectl kustomize {folder}");
        var files = KustomizationFiles(path).ToList();
        return Parse(string.Join("\n---\n", files.Select(File.ReadAllText)), $"files of {folder} (no kubectl)", merged: false);
    }

    /// <summary><c>helm template</c> of the chart with the given values files (relative to the chart).</summary>
    public static Manifests HelmTemplate(string release, string @namespace, params string[] valuesFiles)
    {
        var chart = Path.Combine(RepoPaths.Root, "helm", "histream-farm");
        var args = new List<string> { "template", release, chart, "--namespace", @namespace };
        foreach (var v in valuesFiles) args.AddRange(["-f", Path.Combine(chart, v)]);
        return Parse(DeployTools.Run(DeployTools.Helm ?? throw new InvalidOperationException("No helm binary."), [.. args]), $"helm template {string.Join(' ', valuesFiles)}");
    }

    private static IEnumerable<string> KustomizationFiles(string folder)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(folder, "kustomization.yaml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        IEnumerable<string> Entries(string key) =>
            root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlSequenceNode seq
                ? seq.Children.Select(c => c is YamlMappingNode m ? ((YamlScalarNode)m.Children[new YamlScalarNode("path")]).Value! : ((YamlScalarNode)c).Value!)
                : [];
        foreach (var entry in Entries("resources"))
        {
            var full = Path.GetFullPath(Path.Combine(folder, entry));
            if (Directory.Exists(full))
                foreach (var f in KustomizationFiles(full)) yield return f;
            else
                yield return full;
        }
        if (Entries("patches").Any() || root.Children.ContainsKey(new YamlScalarNode("secretGenerator")))
            throw new InvalidOperationException($"{folder} has patches or generators: rendering it needs kubectl (PATH, HISTREAM_KUBECTL, or tools/helm/install.sh).");
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T One<T>(string name) where T : IMetadata<V1ObjectMeta>
    {
        var found = Objects.OfType<T>().Where(o => o.Metadata.Name == name).ToList();
        Assert.True(found.Count >= 1, $"{Source}: no {typeof(T).Name} named {name}.");
        return found[0];
    }

    public V1ConfigMap? ConfigMap(string name) => Objects.OfType<V1ConfigMap>().LastOrDefault(c => c.Metadata.Name == name);

    /// <summary>The environment a container gets: its envFrom ConfigMaps and Secrets of this render, then its env
    /// entries (a value from the downward API or a secret key is null). Names of sources that are not part of the
    /// render are listed in <paramref name="external"/>.</summary>
    public IReadOnlyDictionary<string, string?> Environment(V1Container container, List<string> external)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.ConfigMapRef is { } cm)
            {
                var maps = Objects.OfType<V1ConfigMap>().Where(c => c.Metadata.Name == cm.Name).ToList();
                if (maps.Count == 0) external.Add($"ConfigMap/{cm.Name}");
                foreach (var map in maps)
                foreach (var (k, v) in map.Data ?? new Dictionary<string, string>()) env[k] = v;
            }
            if (source.SecretRef is { } sr)
            {
                var secrets = Objects.OfType<V1Secret>().Where(s => s.Metadata.Name == sr.Name).ToList();
                if (secrets.Count == 0 && sr.Optional != true) external.Add($"Secret/{sr.Name}");
                foreach (var s in secrets)
                {
                    foreach (var k in s.Data?.Keys ?? []) env[k] = null;
                    foreach (var k in s.StringData?.Keys ?? []) env[k] = null;
                }
            }
        }
        foreach (var e in container.Env ?? [])
        {
            env[e.Name] = e.Value;
            if (e.ValueFrom?.SecretKeyRef is { } key && !HasSecretKey(key.Name, key.Key)) external.Add($"Secret/{key.Name}[{key.Key}]");
            if (e.ValueFrom?.ConfigMapKeyRef is { } cmKey && ConfigMap(cmKey.Name)?.Data?.ContainsKey(cmKey.Key) != true) external.Add($"ConfigMap/{cmKey.Name}[{cmKey.Key}]");
        }
        return env;
    }

    private bool HasSecretKey(string name, string key) =>
        Objects.OfType<V1Secret>().Any(s => s.Metadata.Name == name && ((s.Data?.ContainsKey(key) ?? false) || (s.StringData?.ContainsKey(key) ?? false)));

    /// <summary>The pod template of every workload, by workload name.</summary>
    public IEnumerable<(string Kind, string Name, V1PodTemplateSpec Template)> Workloads()
    {
        foreach (var d in Objects.OfType<V1Deployment>()) yield return ("Deployment", d.Metadata.Name, d.Spec.Template);
        foreach (var s in Objects.OfType<V1StatefulSet>()) yield return ("StatefulSet", s.Metadata.Name, s.Spec.Template);
    }
}
