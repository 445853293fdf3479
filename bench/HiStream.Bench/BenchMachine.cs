using TorchSharp;

namespace HiStream.Bench;

/// <summary>One line naming the machine the numbers come from.</summary>
public static class BenchMachine
{
    /// <summary>The 1-minute load average (other processes compete for the cores), or "n/a".</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    public static string Describe(torch.Device device)
    {
        string cpu = "unknown CPU";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line != null) cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        string gpu = device.type == DeviceType.CUDA ? $", GPU {device} (CUDA)" : ", no GPU";
        return $"{cpu}, {Environment.ProcessorCount} cores, torch threads: {torch.get_num_threads()}{gpu}, TorchSharp {typeof(torch).Assembly.GetName().Version}";
    }
}
