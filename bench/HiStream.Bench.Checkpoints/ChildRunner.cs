using System.Diagnostics;
using System.Reflection;

namespace HiStream.Bench.Checkpoints;

/// <summary>
/// Runs "load READER FILE" in a child process so each load has its own peak RSS and a crash or runaway stays
/// there. A watchdog kills the child past a wall-clock or resident-memory limit.
/// </summary>
internal sealed class ChildRunner(TimeSpan timeout, long memoryLimitBytes)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public ChildOutcome Run(ReaderKind reader, string path)
    {
        var start = StartInfo();
        start.ArgumentList.Add("load");
        start.ArgumentList.Add(reader.ToString());
        start.ArgumentList.Add(path);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the child process");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var wall = Stopwatch.StartNew();
        long peakSeen = 0;
        OutcomeKind? killedFor = null;
        while (!child.WaitForExit(PollInterval))
        {
            try { peakSeen = Math.Max(peakSeen, ProcessMemory.CurrentRss(child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))); }
            catch (IOException) { } // exited between the two calls
            if (peakSeen > memoryLimitBytes) killedFor = OutcomeKind.MemoryRunaway;
            else if (wall.Elapsed > timeout) killedFor = OutcomeKind.Hung;
            if (killedFor != null)
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                break;
            }
        }
        wall.Stop();
        var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var err = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        double seconds = wall.Elapsed.TotalSeconds;
        if (killedFor == OutcomeKind.MemoryRunaway)
            return new(OutcomeKind.MemoryRunaway, $"killed at {peakSeen / (1 << 20):N0} MiB resident after {seconds:F1} s", null, peakSeen, seconds);
        if (killedFor == OutcomeKind.Hung)
            return new(OutcomeKind.Hung, $"killed after {timeout.TotalSeconds:F0} s ({peakSeen / (1 << 20):N0} MiB resident)", null, peakSeen, seconds);
        if (child.ExitCode == 0 && lines.LastOrDefault(l => l.StartsWith(LoadResult.Tag, StringComparison.Ordinal)) is { } result)
            return new(OutcomeKind.Loaded, "", LoadResult.Parse(result), peakSeen, seconds);
        if (child.ExitCode == LoadCommand.RefusedExitCode && lines.LastOrDefault(l => l.StartsWith(LoadCommand.RefusedTag, StringComparison.Ordinal)) is { } refused)
            return new(OutcomeKind.Refused, refused[LoadCommand.RefusedTag.Length..], null, peakSeen, seconds);
        var last = err.Concat(lines).Where(l => l.Length > 0).TakeLast(2);
        return new(OutcomeKind.Crashed, $"exit {child.ExitCode}: {string.Join(" | ", last)}", null, peakSeen, seconds);
    }

    /// <summary>This program again: the apphost directly, or "dotnet bench.dll" when started that way.</summary>
    private static ProcessStartInfo StartInfo()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("unknown process path");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        return start;
    }
}
