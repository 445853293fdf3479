using System.Diagnostics;
using System.Globalization;
using HiStream.Engine;
using HiStream.Engine.Native;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.GpuCheck;

/// <summary>
/// Step 5: the streaming Wan2.1 VAE decoder (real architecture, seeded random weights) on chunks of 3 latent frames at
/// 1920x1088: chunk 0 (9 frames; pays for kernel selection) then chunk 1 (12 frames, with the feature cache of chunk 0),
/// each timed, with peak device memory in use (cudaMemGetInfo polled). On a CPU the size shrinks.
/// </summary>
public static class VaeDecodeCheck
{
    public static StepOutput Run(CheckArgs args, LibTorchInfo libtorch)
    {
        var step = new StepOutput("vae");
        bool cuda = libtorch.CudaAvailable;
        var device = TorchRuntime.ParseDevice(args.Get("device") ?? (cuda ? "cuda" : "cpu"));
        var dtype = TorchRuntime.ParseDType(args.Get("dtype") ?? "bfloat16");
        var config = WanVaeConfig.Preset(args.Get("preset") ?? "wan2.1");
        int width = args.Int("width", 1920), height = args.Int("height", 1088), framesPerChunk = args.Int("latent-frames", 3);
        if (!cuda)
        {
            step.Status = "shrunk";
            step.Notes.Add($"no CUDA device: CPU rehearsal at {width}x{height} with the '{args.Get("preset") ?? "wan2.1"}' VAE (the GPU run decodes 1920x1088 with the real-size VAE)");
        }
        long h = height / config.SpatialScale, w = width / config.SpatialScale;
        using var monitor = DeviceMemoryMonitor.Start();
        using var model = WanVaeDecoderModel.Create(config, device, dtype);
        model.InitializeRandom(1234);
        long weights = monitor?.PeakBytes ?? 0;
        using var decoder = new StreamingWanVaeDecoder(model, VaeDecodeOptions.Default);
        using var latents = torch.randn([16L, 2L * framesPerChunk, h, w], generator: new torch.Generator(99));
        step.Header = ["chunk", "latent frames", "pixel frames", "seconds", "peak device memory in use", "peak RSS"];
        step.Details["size"] = $"{width}x{height}";
        step.Details["dtype"] = dtype.ToString();
        step.Details["device"] = device.ToString();
        step.Details["decode_options"] = VaeDecodeOptions.Default.ToString();
        for (int chunk = 0; chunk < 2; chunk++)
        {
            using var input = latents.narrow(1, chunk * framesPerChunk, framesPerChunk).to(dtype, device);
            if (cuda) torch.cuda.synchronize();
            var sw = Stopwatch.StartNew();
            using var frames = decoder.DecodeNext(input);
            if (cuda) torch.cuda.synchronize();
            double seconds = sw.Elapsed.TotalSeconds;
            long? peak = monitor?.PeakBytes;
            step.Rows.Add([chunk.ToString(CultureInfo.InvariantCulture), framesPerChunk.ToString(CultureInfo.InvariantCulture), frames.shape[0].ToString(CultureInfo.InvariantCulture),
                           seconds.ToString("0.000", CultureInfo.InvariantCulture), peak is { } p ? Mib(p) : "–", Mib(PeakRss())]);
            step.Details[$"chunk{chunk}_seconds"] = seconds;
            step.Details[$"chunk{chunk}_pixel_frames"] = frames.shape[0];
            step.Details[$"chunk{chunk}_peak_device_bytes"] = peak;
        }
        step.Details["device_bytes_after_weights"] = monitor is null ? null : weights;
        step.Details["peak_rss_bytes"] = PeakRss();
        step.Summary = $"{width}x{height} {dtype} on {device}: chunk 0 {step.Rows[0][3]} s, chunk 1 {step.Rows[1][3]} s; peak device memory {step.Rows[1][4]}";
        return step;
    }

    /// <summary>VmHWM of this process (peak resident memory), in bytes.</summary>
    private static long PeakRss()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture) + " MiB";
}
