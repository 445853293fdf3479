using System.Diagnostics;
using System.Text;
using HiStream.Testing;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>The published silo or gateway assembly (from the test's output folder) run as its own process with
/// exactly the given environment for the farm's settings, as a container would get it. Stopped by PID.</summary>
public sealed class AppProcess : IDisposable
{
    private static readonly string[] FarmPrefixes = ["Orleans__", "Farm__", "Engine__", "Gateway__", "ASPNETCORE_", "POD_"];
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static AppProcess Start(string assembly, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var key in start.Environment.Keys.Where(k => FarmPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
            start.Environment.Remove(key);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        return new AppProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {assembly}."));
    }

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>SIGKILL: the process dies at once, as on a node or OOM kill.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    /// <summary>SIGTERM, as the kubelet sends at pod termination.</summary>
    public void Terminate() => ChildProcesses.Terminate(_process);

    /// <summary>Waits for the exit, then for the redirected output to be drained (the timed overload returns before
    /// the last lines have been read).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    public void Dispose() => ChildProcesses.Stop(_process);

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
