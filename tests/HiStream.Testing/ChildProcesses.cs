using System.Diagnostics;

namespace HiStream.Testing;

public static class ChildProcesses
{
    /// <summary>Kills the process and its children if still running, waits up to 10 s, and disposes it. A process that
    /// exits between the check and the kill is not an error.</summary>
    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }

    /// <summary>SIGTERM (what the kubelet sends at pod termination): the process may shut down cleanly.</summary>
    public static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !process.HasExited) throw new InvalidOperationException($"kill -TERM {process.Id} failed.");
    }
}
