using System.Globalization;
using System.Text;

namespace HiStream.Bench;

/// <summary>Markdown tables of a benchmark run: per-frame latency with ratios, per-chunk latency, memory, FLOPs.</summary>
public static class BenchReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(BenchPreset preset, string machine, string weights, IReadOnlyList<BenchResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### HiStream benchmark, preset `{preset.Name}`");
        sb.AppendLine();
        sb.AppendLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {machine}");
        sb.AppendLine($"- model: {preset.Model}; weights: {weights}; {preset.DType} on {preset.Device}");
        sb.AppendLine($"- video: {preset.LatentFrames} latent frames = {preset.PixelFrames} frames at {preset.LatentWidth * 8}x{preset.LatentHeight * 8} px " +
                      $"(latent {preset.LatentHeight}x{preset.LatentWidth}, {preset.LatentHeight / 2 * (preset.LatentWidth / 2)} tokens/frame); chunks of 3 latent frames");
        sb.AppendLine("- per-frame latency = denoising time / output frames (no text encoder, no VAE), as in the paper; " +
                      "wall = elapsed time, CPU = process CPU time (all threads; tracks the work done when other processes share the cores)");
        sb.AppendLine();

        var wan = results.FirstOrDefault(r => r.Sampler == "wan-bidirectional");
        var sf = results.FirstOrDefault(r => r.Sampler == "self-forcing");
        double PerFrame(BenchResult r) => r.DenoiseSeconds / preset.PixelFrames;
        double CpuPerFrame(BenchResult r) => r.CpuSeconds / preset.PixelFrames;
        string Ratio(BenchResult? baseline, BenchResult r, string format) => baseline is null
            ? "–"
            : $"{F(PerFrame(baseline) / PerFrame(r), format)}x / {F(CpuPerFrame(baseline) / CpuPerFrame(r), format)}x";

        sb.AppendLine("| sampler | model passes | s / frame (wall) | CPU s / frame | speed-up vs wan-bidirectional (wall / CPU) | speed-up vs self-forcing (wall / CPU) | analytic GFLOP / frame | analytic ratio vs wan / vs self-forcing | GFLOP/s (wall) | peak KV cache | peak device memory in the process (above the run's start) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string kv = r.PeakKvCacheBytes is { } b ? Bytes(b) : "none";
            string flopRatio = $"{(wan is null ? "–" : F(wan.AnalyticFlops / r.AnalyticFlops, "0.0") + "x")} / {(sf is null ? "–" : F(sf.AnalyticFlops / r.AnalyticFlops, "0.00") + "x")}";
            sb.AppendLine($"| {r.Sampler}{(r.Note.Length > 0 ? " *" : "")} | {r.ModelPasses} | {F(PerFrame(r), "0.000")} | {F(CpuPerFrame(r), "0.000")} | {Ratio(wan, r, "0.0")} | {Ratio(sf, r, "0.00")} | " +
                          $"{F(r.AnalyticFlops / preset.PixelFrames / 1e9, "0.0")} | {flopRatio} | {F(r.AnalyticFlops / r.DenoiseSeconds / 1e9, "0")} | {kv} | {DeviceMemory(r)} |");
        }
        foreach (var r in results.Where(r => r.Note.Length > 0)) sb.AppendLine().Append($"\\* {r.Sampler}: {r.Note}");
        if (results.Count > 1 && results.Any(r => r.PeakDeviceBytes is not null))
            sb.AppendLine().Append("Peak device memory is the whole process's, and these samplers (and all their warm-ups) ran in one process: " +
                                   "the caching allocator keeps what earlier runs freed, so a later sampler's peak includes it, and the part above its run's start can be 0 " +
                                   "though it used that memory. For per-sampler peaks run one sampler per process (--samplers NAME), as scripts/gpu-check.sh does.");
        sb.AppendLine();
        sb.AppendLine();

        var chunked = results.Where(r => r.ChunkSeconds.Count > 1).ToList();
        if (chunked.Count > 0)
        {
            sb.AppendLine("Latency of each chunk, seconds between consecutive chunks (wall / CPU); chunk 0 has no cache commit before it:");
            sb.AppendLine();
            sb.AppendLine("| chunk | " + string.Join(" | ", chunked.Select(r => r.Sampler)) + " |");
            sb.AppendLine("|---:|" + string.Concat(chunked.Select(_ => "---:|")));
            int rows = chunked.Max(r => r.ChunkSeconds.Count);
            for (int c = 0; c < rows; c++)
                sb.AppendLine($"| {c} | " + string.Join(" | ", chunked.Select(r => c < r.ChunkSeconds.Count ? $"{F(r.ChunkSeconds[c], "0.00")} / {F(r.ChunkCpuSeconds[c], "0.00")}" : "")) + " |");
            string Growth(IReadOnlyList<double> x) => F(x[^1] / x[Math.Min(1, x.Count - 1)], "0.00") + "x";
            sb.AppendLine("| last / chunk 1 | " + string.Join(" | ", chunked.Select(r => $"{Growth(r.ChunkSeconds)} / {Growth(r.ChunkCpuSeconds)}")) + " |");
        }
        return sb.ToString();
    }

    private static string DeviceMemory(BenchResult r) => r.PeakDeviceBytes is not { } peak ? "–"
        : r.DeviceBaselineBytes is { } start ? $"{Bytes(peak)} (+{Bytes(Math.Max(0, peak - start))})" : Bytes(peak);

    public static string Bytes(long b) => b >= 1L << 30 ? F(b / (double)(1L << 30), "0.00") + " GiB" : F(b / (double)(1L << 20), "0.0") + " MiB";

    private static string F(double v, string format) => v.ToString(format, Inv);
}
