using System.Diagnostics;
using HiStream.Engine.Native;
using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Bench;

/// <summary>Runs each sampler once on the same model, request and machine, after a warm-up, and measures it.</summary>
public sealed class BenchRunner
{
    private readonly SamplerModels _models;
    private readonly BenchPreset _preset;
    private readonly FlopModel _flops;
    private readonly Action<string> _log;

    public BenchRunner(SamplerModels models, BenchPreset preset, Action<string> log)
    {
        _models = models;
        _preset = preset;
        _flops = new FlopModel(preset.Model.Dim, preset.Model.FfnDim, preset.Model.Layers, preset.Model.TextLen);
        _log = log;
    }

    public SamplingRequest Request(torch.Tensor context, int latentFrames) =>
        new(context, Seed: 42, latentFrames, _preset.LatentHeight, _preset.LatentWidth);

    /// <summary>Warm-up for every sampler (first calls pay for allocation and kernel selection).</summary>
    public void WarmUp(IEnumerable<string> samplers, torch.Tensor context)
    {
        foreach (var sampler in samplers)
        {
            _log($"{sampler}: warm-up");
            WarmUp(sampler, context);
        }
    }

    public BenchResult Run(string sampler, torch.Tensor context)
    {
        var request = Request(context, _preset.LatentFrames);
        long peakKv = 0;
        bool sawCache = false;
        var options = new SamplerOptions
        {
            CacheObserver = r => { sawCache = true; peakKv = Math.Max(peakKv, r.PeakKvCacheBytes); },
            WanBidirectional = WanBidirectionalSettings.Default with { Steps = _preset.WanMeasuredSteps ?? _preset.WanSteps },
        };
        var s = SamplerFactory.Create(sampler, _models, options);

        _log($"{sampler}: {string.Join("; ", s.Plan(request).StepDescriptions.Take(2))}{(s.Plan(request).Chunks > 2 ? "; ..." : "")}");
        var chunkSeconds = new List<double>();
        var chunkCpu = new List<double>();
        int passes = 0;
        using var deviceMemory = DeviceMemoryMonitor.Start();
        var clock = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        double cpuStart = CpuNow(), cpuChunk = cpuStart;
        foreach (var chunk in s.Generate(request))
        {
            double cpu = CpuNow();
            chunkSeconds.Add(clock.Elapsed.TotalSeconds);
            chunkCpu.Add(cpu - cpuChunk);
            passes += chunk.Timing.ModelPasses;
            _log($"{sampler}: chunk {chunk.Index} {clock.Elapsed.TotalSeconds:0.000} s wall, {cpu - cpuChunk:0.000} s CPU ({chunk.Timing.ModelPasses} passes)");
            chunk.Latents.Dispose();
            cpuChunk = CpuNow();
            clock.Restart();
        }
        double seconds = total.Elapsed.TotalSeconds, cpuSeconds = CpuNow() - cpuStart;

        double scale = 1, flops;
        string note = "";
        if (sampler == SamplerFactory.WanBidirectional)
        {
            int ran = options.WanBidirectional!.Steps;
            scale = _preset.WanSteps / (double)ran;
            flops = _flops.TotalFlops(SamplerPassShapes.WanBidirectional(request, _preset.WanSteps, true));
            passes = (int)Math.Round(passes * scale);
            if (ran != _preset.WanSteps)
                note = $"ran {ran} of {_preset.WanSteps} steps (CFG, batch 2); every step is the same full-video pass, so its time is scaled by {scale:0.##}.";
            chunkSeconds = new List<double> { seconds * scale };
            chunkCpu = new List<double> { cpuSeconds * scale };
        }
        else
        {
            var settings = sampler switch
            {
                SamplerFactory.SelfForcing => HiStreamSettings.SelfForcingReference,
                SamplerFactory.HiStreamPlus => HiStreamSettings.HiStreamPlus,
                _ => HiStreamSettings.HiStream,
            };
            flops = _flops.TotalFlops(SamplerPassShapes.HiStream(settings, request));
        }
        return new BenchResult(sampler, seconds * scale, chunkSeconds, cpuSeconds * scale, chunkCpu, passes, sawCache ? peakKv : null, flops, scale, note,
            deviceMemory?.PeakBytes, deviceMemory?.BaselineBytes);
    }

    private static double CpuNow()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }

    private void WarmUp(string sampler, torch.Tensor context)
    {
        var options = new SamplerOptions { WanBidirectional = WanBidirectionalSettings.Default with { Steps = 1 } };
        var s = SamplerFactory.Create(sampler, _models, options);
        int frames = sampler == SamplerFactory.WanBidirectional ? _preset.LatentFrames : Math.Min(_preset.LatentFrames, 6);
        foreach (var chunk in s.Generate(Request(context, frames))) chunk.Latents.Dispose();
    }
}

/// <summary>Combines repeated runs: the fastest run per sampler and, per chunk, the fastest time over the runs
/// (interference from other processes only ever adds time).</summary>
public static class BenchAggregate
{
    public static BenchResult Fastest(IReadOnlyList<BenchResult> runs)
    {
        var best = runs.MinBy(r => r.DenoiseSeconds)!;
        int chunks = runs.Min(r => r.ChunkSeconds.Count);
        var perChunk = Enumerable.Range(0, chunks).Select(c => runs.Min(r => r.ChunkSeconds[c])).ToArray();
        var perChunkCpu = Enumerable.Range(0, chunks).Select(c => runs.Min(r => r.ChunkCpuSeconds[c])).ToArray();
        string note = runs.Count > 1
            ? $"{(best.Note.Length > 0 ? best.Note + " " : "")}fastest of {runs.Count} runs (all: {string.Join(", ", runs.Select(r => r.DenoiseSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} s)."
            : best.Note;
        return best with { ChunkSeconds = perChunk, CpuSeconds = runs.Min(r => r.CpuSeconds), ChunkCpuSeconds = perChunkCpu, Note = note };
    }
}
