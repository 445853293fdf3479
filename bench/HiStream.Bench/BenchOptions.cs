using HiStream.Engine.Sampling;

namespace HiStream.Bench;

/// <summary>Command line of the benchmark.</summary>
public sealed record BenchOptions(BenchPreset Preset, IReadOnlyList<string> Samplers, string? OutputPath, int? Threads, int Repeats, string? Checkpoint, string? JsonPath = null)
{
    public const string Usage = """
        HiStream.Bench: per-frame denoising latency of every sampler, side by side on one model and machine.

          --preset NAME            cpu (default) | gpu-1080p
          --device NAME            override the preset's device (cpu, cuda, cuda:1)
          --dtype NAME             override the preset's dtype (float32, bfloat16)
          --frames N               latent frames (multiple of 3; default 21 = 81 output frames)
          --samplers A,B,...       subset/order of: self-forcing, histream, histream-plus, wan-bidirectional
          --wan-measured-steps K   bidirectional steps actually run (time scaled to 50); 0 = all 50
          --threads N              torch intra-op threads (default: the preset's; cpu = 1, gpu-1080p = all cores)
          --repeats N              rounds over all samplers; the fastest run of each is reported (default: preset)
          --checkpoint FILE        real DiT weights (Wan2.1 / Self-Forcing; needs the 1.3B dims) instead of seeded-random ones
          --out FILE               also write the markdown table to FILE
          --json FILE              also write the results as JSON (what scripts/gpu-check.sh reads)
          --libtorch DIR           run on this existing libtorch (a PyTorch install's torch/lib; env HISTREAM_LIBTORCH)
        """;

    /// <summary>Parses the arguments; prints the usage and returns null on --help or an error.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        var preset = BenchPreset.Cpu;
        string? device = null, dtype = null, output = null, checkpoint = null, json = null;
        int? frames = null, wanSteps = null, threads = null, repeats = null;
        IReadOnlyList<string> samplers = SamplerFactory.Names.ToArray();
        try
        {
            for (int i = 0; i < args.Count; i++)
            {
                string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--preset":
                        var name = Value();
                        preset = BenchPreset.All.FirstOrDefault(p => p.Name == name)
                                 ?? throw new ArgumentException($"Unknown preset '{name}'. Valid: {string.Join(", ", BenchPreset.All.Select(p => p.Name))}.");
                        break;
                    case "--device": device = Value(); break;
                    case "--dtype": dtype = Value(); break;
                    case "--frames": frames = PositiveInt(Value(), "--frames"); break;
                    case "--wan-measured-steps": wanSteps = int.Parse(Value()); break;
                    case "--threads": threads = PositiveInt(Value(), "--threads"); break;
                    case "--repeats": repeats = PositiveInt(Value(), "--repeats"); break;
                    case "--out": output = Value(); break;
                    case "--json": json = Value(); break;
                    case "--checkpoint": checkpoint = Value(); break;
                    case "--samplers":
                        samplers = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        foreach (var s in samplers)
                            if (!SamplerFactory.Names.Contains(s))
                                throw new ArgumentException($"Unknown sampler '{s}'. Valid: {string.Join(", ", SamplerFactory.Names)}.");
                        break;
                    case "-h" or "--help":
                        Console.WriteLine(Usage);
                        return null;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }
            if (frames is { } f && f % 3 != 0) throw new ArgumentException($"--frames {f} must be a multiple of 3 (chunks of 3 latent frames).");
            preset = preset with
            {
                Device = device ?? preset.Device,
                DType = dtype ?? preset.DType,
                LatentFrames = frames ?? preset.LatentFrames,
                WanMeasuredSteps = wanSteps is { } w ? (w <= 0 || w >= preset.WanSteps ? null : w) : preset.WanMeasuredSteps,
            };
            return new BenchOptions(preset, samplers, output, threads, repeats ?? preset.Repeats, checkpoint, json);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
    }

    private static int PositiveInt(string s, string name) =>
        int.TryParse(s, out var v) && v > 0 ? v : throw new ArgumentException($"{name} must be a positive integer (got '{s}').");
}
