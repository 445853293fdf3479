using System.Globalization;

namespace HiStream.Bench.Checkpoints;

/// <summary>Options of the "compare" command (see Program.cs for the usage line).</summary>
internal sealed record CompareOptions(string? Checkpoint, string? MaliciousDirectory, string Marker, int Repeats,
    TimeSpan Timeout, long MaliciousMemoryLimit, long CheckpointMemoryLimit)
{
    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CompareOptions(null, null, "/tmp/histream-pwned-marker", 3, TimeSpan.FromSeconds(60), 4L << 30, 16L << 30);
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--checkpoint" => o with { Checkpoint = Value() },
                "--malicious" => o with { MaliciousDirectory = Value() },
                "--marker" => o with { Marker = Value() },
                "--repeats" => o with { Repeats = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--timeout-s" => o with { Timeout = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--malicious-memory-limit-gib" => o with { MaliciousMemoryLimit = (long)(double.Parse(Value(), CultureInfo.InvariantCulture) * (1L << 30)) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Checkpoint == null && o.MaliciousDirectory == null) throw new ArgumentException("give --checkpoint FILE, --malicious DIR or both");
        if (o.Repeats < 1) throw new ArgumentException("--repeats must be at least 1");
        return o;
    }
}
