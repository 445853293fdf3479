using System.Globalization;

namespace HiStream.Bench.Vae;

internal sealed record BenchArgs(int Width, int Height, int LatentFrames, string DType, int FramesPerSlice, int BandRows, string Device, string Preset, bool CompareConvKernels)
{
    public static BenchArgs Parse(string[] args)
    {
        var a = new BenchArgs(832, 480, 2, "float32", 1, 0, "cpu", "wan2.1", false);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            a = args[i] switch
            {
                "--width" => a with { Width = Int() },
                "--height" => a with { Height = Int() },
                "--latent-frames" => a with { LatentFrames = Int() },
                "--dtype" => a with { DType = Value() },
                "--frames-per-slice" => a with { FramesPerSlice = Int() },
                "--band-rows" => a with { BandRows = Int() },
                "--device" => a with { Device = Value() },
                "--preset" => a with { Preset = Value() },
                "--compare-conv-kernels" => a with { CompareConvKernels = true },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }
        return a;
    }
}
