using System.Diagnostics;

namespace HiStream.GpuCheck;

/// <summary>Runs a command-line tool (nm, c++filt, objdump) and returns its standard output.</summary>
public static class ToolProcess
{
    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, tool)));

    public static string Run(string tool, IEnumerable<string> args, string? stdin = null)
    {
        var start = new ProcessStartInfo(tool, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', start.ArgumentList)} exited {p.ExitCode}: {error.Result.Trim()}");
        return output.Result;
    }
}
