using TorchSharp;

namespace HiStream.Bench;

/// <summary>One line naming the machine the numbers come from.</summary>
public static class BenchMachine
{
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
        return $"{cpu}, {Environment.ProcessorCount} cores, {torch.get_num_threads()} torch threads{gpu}, TorchSharp {typeof(torch).Assembly.GetName().Version}";
    }
}
