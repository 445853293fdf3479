namespace HiStream.Bench.Vae;

/// <summary>Resident set size of this process from /proc (Linux): current, and the peak since the last reset.</summary>
internal static class ProcessMemory
{
    public static long CurrentRss() => ReadStatusKb("VmRSS:") * 1024;

    public static long PeakRss() => ReadStatusKb("VmHWM:") * 1024;

    /// <summary>Writing 5 to clear_refs resets VmHWM to the current RSS.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long ReadStatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
