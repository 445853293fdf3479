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
        sb.AppendLine("- per-frame latency = denoising time / output frames (no text encoder, no VAE), as in the paper");
        sb.AppendLine();

        var wan = results.FirstOrDefault(r => r.Sampler == "wan-bidirectional");
        var sf = results.FirstOrDefault(r => r.Sampler == "self-forcing");
        double PerFrame(BenchResult r) => r.DenoiseSeconds / preset.PixelFrames;

        sb.AppendLine("| sampler | model passes | denoise s | s / frame | speed-up vs wan-bidirectional | speed-up vs self-forcing | analytic GFLOP / frame | achieved GFLOP/s | peak KV cache |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string vsWan = wan is null ? "–" : F(PerFrame(wan) / PerFrame(r), "0.0") + "x";
            string vsSf = sf is null ? "–" : F(PerFrame(sf) / PerFrame(r), "0.00") + "x";
            string kv = r.PeakKvCacheBytes is { } b ? Bytes(b) : "none";
            sb.AppendLine($"| {r.Sampler}{(r.Note.Length > 0 ? " *" : "")} | {r.ModelPasses} | {F(r.DenoiseSeconds, "0.00")} | {F(PerFrame(r), "0.0000")} | {vsWan} | {vsSf} | " +
                          $"{F(r.AnalyticFlops / preset.PixelFrames / 1e9, "0.0")} | {F(r.AnalyticFlops / r.DenoiseSeconds / 1e9, "0")} | {kv} |");
        }
        foreach (var r in results.Where(r => r.Note.Length > 0)) sb.AppendLine().Append($"\\* {r.Sampler}: {r.Note}");
        sb.AppendLine();
        sb.AppendLine();

        var chunked = results.Where(r => r.ChunkSeconds.Count > 1).ToList();
        if (chunked.Count > 0)
        {
            sb.AppendLine("Latency of each chunk (seconds, wall time between consecutive chunks):");
            sb.AppendLine();
            sb.AppendLine("| chunk | " + string.Join(" | ", chunked.Select(r => r.Sampler)) + " |");
            sb.AppendLine("|---:|" + string.Concat(chunked.Select(_ => "---:|")));
            int rows = chunked.Max(r => r.ChunkSeconds.Count);
            for (int c = 0; c < rows; c++)
                sb.AppendLine($"| {c} | " + string.Join(" | ", chunked.Select(r => c < r.ChunkSeconds.Count ? F(r.ChunkSeconds[c], "0.000") : "")) + " |");
            sb.AppendLine("| last / chunk 1 | " + string.Join(" | ", chunked.Select(r => F(r.ChunkSeconds[^1] / r.ChunkSeconds[Math.Min(1, r.ChunkSeconds.Count - 1)], "0.00") + "x")) + " |");
        }
        return sb.ToString();
    }

    public static string Bytes(long b) => b >= 1L << 30 ? F(b / (double)(1L << 30), "0.00") + " GiB" : F(b / (double)(1L << 20), "0.0") + " MiB";

    private static string F(double v, string format) => v.ToString(format, Inv);
}
