namespace HiStream.Bench.Checkpoints;

/// <summary>Resident set size of a process from /proc (Linux): current and peak (VmHWM).</summary>
internal static class ProcessMemory
{
    public static long CurrentRss(string pid = "self") => ReadStatusKb(pid, "VmRSS:") * 1024;

    public static long PeakRss(string pid = "self") => ReadStatusKb(pid, "VmHWM:") * 1024;

    private static long ReadStatusKb(string pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return 0; // a zombie has no memory lines
    }
}
