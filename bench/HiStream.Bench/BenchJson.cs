using System.Text.Json;
using System.Text.Json.Nodes;
using HiStream.Engine.Native;

namespace HiStream.Bench;

/// <summary>The results as JSON for tools (scripts/gpu-check.sh): per sampler the per-frame latency, the achieved
/// TFLOP/s from the analytic FLOP model, and peak KV-cache and device memory.</summary>
public static class BenchJson
{
    public static void Write(string path, BenchPreset preset, string machine, LibTorchInfo libtorch, IReadOnlyList<BenchResult> results)
    {
        var samplers = new JsonArray();
        foreach (var r in results)
        {
            samplers.Add(new JsonObject
            {
                ["sampler"] = r.Sampler,
                ["seconds_per_frame"] = r.DenoiseSeconds / preset.PixelFrames,
                ["denoise_seconds"] = r.DenoiseSeconds,
                ["model_passes"] = r.ModelPasses,
                ["analytic_tflop"] = r.AnalyticFlops / 1e12,
                ["achieved_tflops"] = r.AnalyticFlops / r.DenoiseSeconds / 1e12,
                ["peak_kv_cache_bytes"] = r.PeakKvCacheBytes,
                ["peak_device_bytes"] = r.PeakDeviceBytes,
                ["device_baseline_bytes"] = r.DeviceBaselineBytes,
                ["chunk_seconds"] = new JsonArray(r.ChunkSeconds.Select(c => (JsonNode)c).ToArray()),
                ["note"] = r.Note,
            });
        }
        var root = new JsonObject
        {
            ["preset"] = preset.Name,
            ["device"] = preset.Device,
            ["dtype"] = preset.DType,
            ["model"] = preset.Model.ToString(),
            ["latent_frames"] = preset.LatentFrames,
            ["pixel_frames"] = preset.PixelFrames,
            ["width"] = preset.LatentWidth * 8,
            ["height"] = preset.LatentHeight * 8,
            ["machine"] = machine,
            ["libtorch"] = libtorch.Describe(),
            ["samplers"] = samplers,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
