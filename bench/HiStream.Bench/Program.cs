using HiStream.Bench;
using HiStream.Engine;
using HiStream.Engine.Models;
using HiStream.Engine.Native;
using HiStream.Engine.Sampling;
using TorchSharp;

// Side-by-side denoising benchmark of the four samplers on one model, one request, one machine.
// dotnet run --project bench/HiStream.Bench -c Release -- --preset cpu
// dotnet run --project bench/HiStream.Bench -c Release -p:TorchBackend=cuda -- --preset gpu-1080p --device cuda --dtype bfloat16
// On a machine with PyTorch: a -p:TorchBackend=external build with --libtorch DIR (or HISTREAM_LIBTORCH, or python3's torch).

var log = (string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");
LibTorchInfo libtorch;
try
{
    var request = LibTorchRequest.FromArgsOrEnvironment(args, out args);
    if (args.Contains("--help") || args.Contains("-h")) { BenchOptions.Parse(args); return 0; }
    libtorch = TorchNative.Initialize(request, log);
}
catch (Exception e) when (e is LibTorchLoadException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}
var options = BenchOptions.Parse(args);
if (options is null) return 2;
var preset = options.Preset;

var device = TorchRuntime.ParseDevice(preset.Device);
var dtype = TorchRuntime.ParseDType(preset.DType);
if ((options.Threads ?? preset.Threads) is { } threads) IntraOpThreads.PinCurrentThread(threads);
var config = new WanConfig
{
    Dim = preset.Model.Dim, FfnDim = preset.Model.FfnDim, FreqDim = preset.Model.FreqDim, TextDim = preset.Model.TextDim,
    TextLen = preset.Model.TextLen, InDim = 16, OutDim = 16, NumHeads = preset.Model.Heads, NumLayers = preset.Model.Layers, Eps = 1e-6,
};
log($"building {preset.Model} on {device} as {dtype} ({options.Checkpoint ?? "seeded-random weights"})");
using var dit = WanDiTFactory.Create(config, options.Checkpoint, preset.Device, preset.DType, randomSeed: 1234);
using var model = new WanChunkModel(dit);
var models = new SamplerModels(model, model);
using var context = torch.randn(new long[] { 24, config.TextDim }, generator: new torch.Generator(5)).mul_(0.5);

var runner = new BenchRunner(models, preset, log);
runner.WarmUp(options.Samplers, context);
var runs = options.Samplers.ToDictionary(s => s, _ => new List<BenchResult>());
string loadBefore = BenchMachine.LoadAverage();
for (int round = 0; round < options.Repeats; round++)
{
    // Alternate the order so that slow phases of a shared machine do not always hit the same sampler.
    var order = round % 2 == 0 ? options.Samplers : options.Samplers.Reverse().ToList();
    foreach (var name in order)
    {
        log($"round {round + 1}/{options.Repeats}: {name}");
        runs[name].Add(runner.Run(name, context));
        GC.Collect();
    }
}
var results = options.Samplers.Select(s => BenchAggregate.Fastest(runs[s])).ToList();

string machine = $"{BenchMachine.Describe(device)}; {libtorch.Describe()}; load average {loadBefore} before, {BenchMachine.LoadAverage()} after";
string weights = options.Checkpoint is null ? "seeded-random (no checkpoint; timing does not depend on weight values)" : dit.WeightsSource;
var table = BenchReport.Render(preset, machine, weights, results);
Console.WriteLine(table);
if (options.OutputPath is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    File.WriteAllText(path, table);
    log($"wrote {path}");
}
if (options.JsonPath is { } jsonPath)
{
    BenchJson.Write(jsonPath, preset, machine, libtorch, results);
    log($"wrote {jsonPath}");
}
return 0;
