using System.Globalization;

namespace HiStream.Bench.Checkpoints;

/// <summary>The parent side: times each reader on the big checkpoint, then feeds every hostile file to each reader.</summary>
internal static class CompareCommand
{
    private static readonly ReaderKind[] Readers = Enum.GetValues<ReaderKind>();

    public static int Run(CompareOptions o)
    {
        if (o.Checkpoint != null) TimeCheckpoint(o);
        if (o.MaliciousDirectory != null) ProbeMaliciousFiles(o);
        return 0;
    }

    private static void TimeCheckpoint(CompareOptions o)
    {
        var runner = new ChildRunner(TimeSpan.FromMinutes(10), o.CheckpointMemoryLimit);
        var runs = Readers.ToDictionary(r => r, _ => new List<ChildOutcome>());
        WarmPageCache(o.Checkpoint!);
        Console.WriteLine($"{o.Checkpoint}: {new FileInfo(o.Checkpoint!).Length / 1e9:F2} GB, {o.Repeats} runs per reader, readers interleaved, one process per run, file read once beforehand (page cache)");
        for (int i = 0; i < o.Repeats; i++)
        {
            foreach (var r in Readers)
            {
                var outcome = runner.Run(r, o.Checkpoint!);
                runs[r].Add(outcome);
                Console.WriteLine($"  run {i + 1} {r,-9} {Summary(outcome)}");
            }
        }
        Console.WriteLine();
        Console.WriteLine("| reader | load s (median, min-max) | peak RSS MiB (median) | of which before loading | tensors | GB read | fingerprint |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var r in Readers)
        {
            var ok = runs[r].Where(x => x.Result != null).Select(x => x.Result!).ToList();
            if (ok.Count == 0)
            {
                Console.WriteLine($"| {r} | failed: {runs[r][0].Kind} {runs[r][0].Detail} | | | | | |");
                continue;
            }
            var s = ok.Select(x => x.Seconds).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r} | {Median(s):F2} ({s[0]:F2}-{s[^1]:F2}) | {Median(ok.Select(x => (double)x.PeakRss)) / (1 << 20):N0} | {Median(ok.Select(x => (double)x.BaselineRss)) / (1 << 20):N0} | {ok[0].Tensors} | {ok[0].Bytes / 1e9:F2} | {ok[0].Fingerprint:R} |"));
        }
        Console.WriteLine();
    }

    /// <summary>Reads the file once so that no reader pays for the disk and all read from the page cache.</summary>
    private static void WarmPageCache(string path)
    {
        var buffer = new byte[1 << 24];
        using var f = File.OpenRead(path);
        while (f.Read(buffer) > 0) { }
    }

    private static void ProbeMaliciousFiles(CompareOptions o)
    {
        var runner = new ChildRunner(o.Timeout, o.MaliciousMemoryLimit);
        var files = Directory.GetFiles(o.MaliciousDirectory!, "*.pt").Order(StringComparer.Ordinal).ToList();
        var details = new List<string>();
        Console.WriteLine($"hostile files in {o.MaliciousDirectory}; limits per load: {o.Timeout.TotalSeconds:F0} s, {o.MaliciousMemoryLimit / (1 << 20):N0} MiB resident");
        Console.WriteLine($"| file | {string.Join(" | ", Readers)} |");
        Console.WriteLine($"|---|{string.Concat(Readers.Select(_ => "---|"))}");
        foreach (var file in files)
        {
            var cells = new List<string>();
            foreach (var r in Readers)
            {
                if (File.Exists(o.Marker)) File.Delete(o.Marker);
                var outcome = runner.Run(r, file);
                bool ranCode = File.Exists(o.Marker);
                cells.Add(ranCode ? "**ran code**" : Cell(outcome));
                details.Add($"{Path.GetFileName(file)} / {r}: {outcome.Kind} in {outcome.WallSeconds:F1} s, {outcome.PeakRssSeen / (1 << 20):N0} MiB seen; {Summary(outcome)}");
            }
            Console.WriteLine($"| {Path.GetFileName(file)} | {string.Join(" | ", cells)} |");
        }
        if (File.Exists(o.Marker)) File.Delete(o.Marker);
        Console.WriteLine();
        foreach (var d in details) Console.WriteLine(d);
    }

    private static string Cell(ChildOutcome x) => x.Kind switch
    {
        OutcomeKind.Loaded => $"loaded ({x.Result!.Tensors} tensors)",
        OutcomeKind.Refused => $"refused: {x.Detail.Split(':')[0]}",
        OutcomeKind.Crashed => $"**crashed** ({x.Detail.Split(':')[0]})",
        OutcomeKind.Hung => "**hung**",
        _ => "**memory runaway**",
    };

    private static string Summary(ChildOutcome x) => x.Result is { } r
        ? string.Create(CultureInfo.InvariantCulture, $"{r.Seconds:F2} s, peak RSS {r.PeakRss / (1 << 20):N0} MiB, {r.Tensors} tensors, fingerprint {r.Fingerprint:R}")
        : $"{x.Kind}: {x.Detail}";

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
