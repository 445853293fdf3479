using System.Diagnostics;
using HiStream.Farm.Tests.Infrastructure;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>kubectl and helm for the deployment tests: HISTREAM_KUBECTL / HISTREAM_HELM, then PATH, then
/// tools/helm/bin (tools/helm/install.sh puts both there).</summary>
public static class DeployTools
{
    public static string? Kubectl { get; } = Find("HISTREAM_KUBECTL", "kubectl");
    public static string? Helm { get; } = Find("HISTREAM_HELM", "helm");

    private static string? Find(string variable, string name)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } explicitPath && File.Exists(explicitPath)) return explicitPath;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        var bundled = Path.Combine(RepoPaths.Root, "tools", "helm", "bin", name);
        return File.Exists(bundled) ? bundled : null;
    }

    /// <summary>Runs a tool and returns its standard output; a non-zero exit fails with its standard error.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} did not finish within 60 s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>A fact that runs only where a Helm binary is found (see <see cref="DeployTools"/>).</summary>
public sealed class HelmFactAttribute : FactAttribute
{
    public HelmFactAttribute()
    {
        if (DeployTools.Helm is null) Skip = "No helm binary (HISTREAM_HELM, PATH or tools/helm/bin): run tools/helm/install.sh.";
    }
}

/// <summary>A theory that runs only where a Helm binary is found.</summary>
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute()
    {
        if (DeployTools.Helm is null) Skip = "No helm binary (HISTREAM_HELM, PATH or tools/helm/bin): run tools/helm/install.sh.";
    }
}
