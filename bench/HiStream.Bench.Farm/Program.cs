using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Bench.Farm;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Queue;
using HiStream.Grains.Storage;
using HiStream.Silo.Hosting;
using HiStream.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// Farm benchmark: real Orleans silos (Redis membership, grain state in Azurite blobs) hosting the queue partitions
// and job grains; many simulated render silos pull from them with a fake engine that takes a fixed time per chunk.
// dotnet run --project bench/HiStream.Bench.Farm -c Release -- [--silos 64] [--orleans-silos 2] [--chunk-ms 1000]
//   [--chunks 3] [--videos 512] [--partitions 8] [--submit 10000,100000]
var opts = Args.Parse(args);
var log = (string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");
var root = FindRoot();
var azuriteBin = Environment.GetEnvironmentVariable("HISTREAM_AZURITE") is { Length: > 0 } env ? env : Path.Combine(root, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
var data = Directory.CreateTempSubdirectory("histream-bench-azurite-").FullName;
using var redis = ServerProcess.Start("redis-server", p => ["--port", p.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], TimeSpan.FromSeconds(60));
using var azurite = ServerProcess.Start(azuriteBin, p => ["--blobHost", "127.0.0.1", "--blobPort", p.ToString(), "--location", data, "--skipApiVersionCheck", "--disableTelemetry", "--silent"], TimeSpan.FromSeconds(60));
const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
var blobConnection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{azurite.Port}/devstoreaccount1;";
log($"redis :{redis.Port}, azurite :{azurite.Port}");

using var writes = new StorageWriteCounter();
var hosts = new List<IHost>();
for (int i = 0; i < opts.OrleansSilos; i++)
{
    var settings = new Dictionary<string, string?>
    {
        ["Orleans:Redis"] = $"127.0.0.1:{redis.Port}",
        ["Orleans:ClusterId"] = "bench", ["Orleans:ServiceId"] = "bench",
        ["Orleans:SiloPort"] = ServerProcess.FreePort().ToString(),
        ["Orleans:GatewayPort"] = ServerProcess.FreePort().ToString(),
        ["Farm:Render"] = "false",
        ["Farm:QueuePartitions"] = opts.Partitions.ToString(),
        ["Farm:State:Provider"] = "azureblob",
        ["Farm:State:ConnectionString"] = blobConnection,
        ["Farm:State:Container"] = "bench-state",
        ["Farm:Blob:ConnectionString"] = blobConnection,
    };
    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.UseOrleans(silo =>
    {
        silo.UseHiStreamClustering(configuration);
        silo.AddHiStreamSilo(configuration);
    });
    var host = builder.Build();
    await host.StartAsync();
    hosts.Add(host);
}
log($"{hosts.Count} Orleans silos up, {opts.Partitions} queue partitions");
var services = hosts[0].Services;
var grains = services.GetRequiredService<IGrainFactory>();
var blobs = services.GetRequiredService<IBlobStore>();
var farm = services.GetRequiredService<IOptions<FarmOptions>>();
var submitter = new JobSubmitter(blobs, grains, Options.Create(new GatewayLimits { MaxItems = 10_000_000 }), farm, TimeProvider.System);

var rows = new List<(string Metric, string Value, string Target)>();
foreach (var count in opts.Submit)
{
    var items = Enumerable.Range(0, count).Select(i => new ItemSpec { Prompt = $"prompt {i}", Size = "32x32", Frames = 9 }).ToList();
    var sw = Stopwatch.StartNew();
    var result = await submitter.SubmitAsync(new JobOptions($"submit-{count}", 0, [], null, null, new ItemSpec()), ManifestSources.Inline(items), default);
    sw.Stop();
    log($"submitted {count} items in {sw.Elapsed.TotalSeconds:F2} s ({result.Outcome})");
    rows.Add(($"submit {count:N0} items", $"{sw.Elapsed.TotalSeconds:F2} s ({count / sw.Elapsed.TotalSeconds:N0} items/s)", count == 10_000 ? "< 5 s" : ""));
    await grains.GetGrain<IJobGrain>($"submit-{count}").CancelAsync(); // out of the way of the hand-out run
}

// Hand-out and orchestration: one job of opts.Videos videos, opts.Silos simulated silos with one slot each.
var engine = new FixedTimeEngine(TimeSpan.FromMilliseconds(opts.ChunkMs), chunkBytes: 16 * 3 * 4 * 4 * 4);
var stats = new BenchStats();
var renderJob = await submitter.SubmitAsync(new JobOptions("render", 0, [], "bench-results", null, new ItemSpec()),
    ManifestSources.Inline(Enumerable.Range(0, opts.Videos).Select(i => new ItemSpec { Prompt = $"video {i}", Size = "32x32", Frames = 9 }).ToList()), default);
long writesBefore = writes.Writes;
var started = Stopwatch.StartNew();
var silos = Enumerable.Range(0, opts.Silos).Select(i =>
{
    var host = hosts[i % hosts.Count].Services;
    var leaser = ActivatorUtilities.CreateInstance<PartitionedLeaser>(host);
    return new SimulatedSilo($"sim-{i:D2}", 1, host.GetRequiredService<IGrainFactory>(), leaser, blobs, "bench-results", engine, opts.Chunks, stats);
}).ToList();
var job = grains.GetGrain<IJobGrain>("render");
var finished = false;
var runs = silos.Select(s => Task.Run(() => s.RunAsync(() => !Volatile.Read(ref finished), default))).ToList();
var status = await job.GetStatusAsync();
while (!status.IsFinished)
{
    await Task.Delay(500);
    status = await job.GetStatusAsync();
}
Volatile.Write(ref finished, true);
await Task.WhenAll(runs);
started.Stop();
long stateWrites = writes.Writes - writesBefore;
log($"{status.Completed} videos in {started.Elapsed.TotalSeconds:F1} s; {stats.HandOuts} hand-outs; {stateWrites} state writes ({string.Join(", ", writes.Instruments)})");

rows.Add(($"lease hand-out p50, {opts.Silos} silos", $"{stats.HandOutPercentile(0.50):F1} ms", ""));
rows.Add(($"lease hand-out p99, {opts.Silos} silos", $"{stats.HandOutPercentile(0.99):F1} ms", "< 50 ms"));
rows.Add(("grain-state writes per video", writes.Instruments.Count == 0 ? "n/a (no storage instrument)" : $"{(double)stateWrites / Math.Max(1, status.Completed):F1} (queue, job; {opts.Chunks} chunks)", ""));
rows.Add(("blob writes per video", $"{2 * opts.Chunks + 3} (per chunk: chunk, video state; then metadata, results line, final state)", ""));
double idleMean = stats.IdleBetweenChunksMean, start = stats.StartMsPerVideo, handOut = stats.HandOutMean;
rows.Add(($"device idle between chunks, mean ({opts.ChunkMs} ms chunk)", $"{idleMean:F2} ms = {idleMean / opts.ChunkMs:P2}", "< 1 %"));
rows.Add(("device idle between chunks, p99", $"{stats.IdleBetweenChunksPercentile(0.99):F2} ms = {stats.IdleBetweenChunksPercentile(0.99) / opts.ChunkMs:P2}", ""));
rows.Add(("per-video start (Started report, resume point)", $"{start:F1} ms", ""));
rows.Add(("per-video finish (last chunk stored, metadata, results line, state, lease end)", $"{stats.FinishMsPerVideo:F1} ms", ""));
double perChunk = (idleMean * (opts.Chunks - 1) + start + stats.FinishMsPerVideo + handOut) / opts.Chunks;
rows.Add(($"device idle per chunk, hand-out (mean), start and finish included ({opts.Chunks}-chunk videos)", $"{perChunk:F1} ms = {perChunk / opts.ChunkMs:P2}", ""));
rows.Add(("farm throughput", $"{status.Completed / started.Elapsed.TotalSeconds:F1} videos/s (ideal {opts.Silos * 1000.0 / (opts.ChunkMs * opts.Chunks):F1})", ""));

Console.WriteLine($"| metric | measured | target |\n|---|---|---|");
foreach (var (metric, value, target) in rows) Console.WriteLine($"| {metric} | {value} | {target} |");
Console.WriteLine($"\n{Environment.ProcessorCount} cores, {opts.OrleansSilos} Orleans silos in one process, {opts.Silos} simulated silos x 1 slot, " +
    $"{opts.Partitions} partitions, {opts.Videos} videos x {opts.Chunks} chunks of {opts.ChunkMs} ms; Redis membership, grain state and chunks in Azurite.");

foreach (var host in hosts) await host.StopAsync();
try { Directory.Delete(data, recursive: true); } catch (IOException) { }
return 0;

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HiStream.Farm.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Environment.CurrentDirectory;
}

internal sealed record Args(int Silos, int OrleansSilos, int ChunkMs, int Chunks, int Videos, int Partitions, int[] Submit)
{
    public static Args Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v) : fallback;
        var submit = Get("--submit") is { } s ? s.Split(',').Select(int.Parse).ToArray() : [10_000, 100_000];
        return new Args(Int("--silos", 64), Int("--orleans-silos", 2), Int("--chunk-ms", 1000), Int("--chunks", 3), Int("--videos", 512), Int("--partitions", 8), submit);
    }
}
