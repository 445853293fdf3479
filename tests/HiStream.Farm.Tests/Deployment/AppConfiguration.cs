using System.Text.RegularExpressions;
using HiStream.Engine.Pipeline;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Configuration;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>The configuration the silo and gateway really read: options classes bound to a section (checked by
/// reflection and by binding), keys read one by one in src/ (found in the sources), and the few keys the .NET host
/// itself reads. Environment variable <c>A__B</c> is configuration key <c>A:B</c>.</summary>
public static partial class AppConfiguration
{
    public static readonly (string Section, Type Options)[] BoundSections =
    [
        (FarmOptions.Section, typeof(FarmOptions)),
        (PipelineOptions.Section, typeof(PipelineOptions)),
        (GatewayLimits.Section, typeof(GatewayLimits)),
    ];

    /// <summary>Read by ASP.NET Core / the generic host, not by our code.</summary>
    private static readonly string[] HostKeys = ["ASPNETCORE_HTTP_PORTS", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"];
    private static readonly string[] HostPrefixes = ["Logging:LogLevel:"];

    private static readonly Lazy<IReadOnlySet<string>> Literal = new(ScanLiteralKeys);

    /// <summary>Keys read by name anywhere in src/ (<c>configuration["Farm:Blob:ConnectionString"]</c>,
    /// <c>GetValue("Orleans:SiloPort", …)</c>).</summary>
    public static IReadOnlySet<string> LiteralKeys => Literal.Value;

    public static string KeyOf(string environmentVariable) => environmentVariable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Why the app would ignore this environment variable, or null when it reads it.</summary>
    public static string? Problem(string environmentVariable)
    {
        var key = KeyOf(environmentVariable);
        if (LiteralKeys.Contains(key)) return null;
        if (HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase)) return null;
        if (HostPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase) && key.Length > p.Length)) return null;
        foreach (var (section, type) in BoundSections)
        {
            if (!key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = key[(section.Length + 1)..];
            if (rest.Contains(':')) continue; // a nested key: not a property of these flat options
            return type.GetProperty(rest, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase) is { CanWrite: true }
                ? null
                : $"{environmentVariable}: {type.Name} (section {section}) has no settable property '{rest}'";
        }
        return $"{environmentVariable}: no code reads configuration key '{key}'";
    }

    /// <summary>Binds each options section from the environment as the app does, refusing unknown keys and values
    /// that do not convert (e.g. "abc" for a TimeSpan). Returns the problems.</summary>
    public static IReadOnlyList<string> BindingProblems(IReadOnlyDictionary<string, string?> environment)
    {
        var problems = new List<string>();
        var values = environment
            .Where(kv => kv.Value is not null && !LiteralKeys.Contains(KeyOf(kv.Key)))
            .ToDictionary(kv => KeyOf(kv.Key), kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        foreach (var (section, type) in BoundSections)
        {
            try
            {
                configuration.GetSection(section).Get(type, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add($"{section}: {ex.Message}");
            }
        }
        return problems;
    }

    private static IReadOnlySet<string> ScanLiteralKeys()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
            var text = File.ReadAllText(file);
            foreach (Match m in IndexerKey().Matches(text)) keys.Add(m.Groups[1].Value);
            foreach (Match m in GetValueKey().Matches(text)) keys.Add(m.Groups[1].Value);
        }
        return keys;
    }

    [GeneratedRegex(@"\b[cC]onfiguration\[""([A-Za-z_][A-Za-z0-9_:]*)""\]")]
    private static partial Regex IndexerKey();

    [GeneratedRegex(@"\bGetValue(?:<[^>]+>)?\(""([A-Za-z_]+(?::[A-Za-z_]+)+)""")]
    private static partial Regex GetValueKey();
}
