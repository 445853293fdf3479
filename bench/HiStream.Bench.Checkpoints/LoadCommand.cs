using System.Diagnostics;
using TorchSharp;

namespace HiStream.Bench.Checkpoints;

/// <summary>
/// The child side: loads one file with one reader and prints a RESULT line, or a REFUSED line and exit code 3
/// when the reader throws. Anything else (a crash, a kill) the parent sees in the exit status.
/// </summary>
internal static class LoadCommand
{
    public const int RefusedExitCode = 3;
    public const string RefusedTag = "REFUSED ";
    private const long FingerprintChunk = 1 << 24;

    public static int Run(ReaderKind reader, string path)
    {
        using (torch.zeros(1)) { } // load libtorch before the baseline
        long baseline = ProcessMemory.CurrentRss();
        Dictionary<string, torch.Tensor> tensors;
        var timer = Stopwatch.StartNew();
        try
        {
            tensors = reader switch
            {
                ReaderKind.Ours => OurReader.Load(path),
                ReaderKind.PyBridge => PyBridgeReader.Load(path),
                _ => RazorvineReader.Load(path),
            };
        }
        catch (Exception ex)
        {
            Console.WriteLine(RefusedTag + Describe(ex));
            return RefusedExitCode;
        }
        timer.Stop();
        long peak = ProcessMemory.PeakRss();
        Console.WriteLine(new LoadResult(tensors.Count, tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize),
            timer.Elapsed.TotalSeconds, peak, baseline, Fingerprint(tensors)).Format());
        return 0;
    }

    /// <summary>Sum of every value in float64, in name order without the "model." prefix: equal across readers that agree.</summary>
    private static double Fingerprint(Dictionary<string, torch.Tensor> tensors)
    {
        double sum = 0;
        foreach (var (_, t) in tensors.OrderBy(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal) ? kv.Key[6..] : kv.Key, StringComparer.Ordinal))
        {
            using var flat = t.reshape(-1);
            for (long i = 0; i < flat.shape[0]; i += FingerprintChunk) // chunks: a float64 copy of a 2 GB tensor would dwarf the load
            {
                using var chunk = flat.narrow(0, i, Math.Min(FingerprintChunk, flat.shape[0] - i));
                using var wide = chunk.to(torch.ScalarType.Float64);
                using var s = wide.sum();
                sum += s.item<double>();
            }
        }
        return sum;
    }

    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner is System.Reflection.TargetInvocationException { InnerException: { } i }) inner = i;
        var message = inner.Message.ReplaceLineEndings(" ");
        return $"{inner.GetType().Name}: {(message.Length > 300 ? message[..300] + "..." : message)}";
    }
}
