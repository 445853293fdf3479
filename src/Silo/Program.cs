using HiStream.Engine.Native;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using HiStream.Silo.Hosting;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;

// A GPU (or CPU) silo: renders videos pulled from the queue, serves /metrics (Prometheus), /dashboard (Orleans),
// /healthz (liveness: the process answers) and /ready (readiness: model loaded, not draining).
// libtorch first: the bundled one, or an existing one (--libtorch DIR, HISTREAM_LIBTORCH, python3's torch); see docs/gpu.md.
LibTorchInfo libtorch;
try
{
    libtorch = TorchNative.Initialize(LibTorchRequest.FromArgsOrEnvironment(args, out args), line => Console.WriteLine($"histream-silo: {line}"));
}
catch (Exception e) when (e is LibTorchLoadException or ArgumentException)
{
    Console.Error.WriteLine($"histream-silo: {e.Message}");
    return 3;
}
var builder = WebApplication.CreateBuilder(args);
var shutdown = builder.Configuration.GetValue("Farm:ShutdownTimeout", TimeSpan.FromSeconds(120));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown);
builder.UseOrleans(silo =>
{
    silo.UseHiStreamClustering(builder.Configuration);
    silo.AddHiStreamSilo(builder.Configuration);
    silo.AddDashboard();
});
builder.Services.AddPodDeletionCost(builder.Configuration);
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(FarmMetrics.MeterName, "Microsoft.Orleans")
    .AddPrometheusExporter());

var app = builder.Build();
app.MapPrometheusScrapingEndpoint();
app.MapOrleansDashboard("/dashboard");
app.MapGet("/healthz", (RenderWorker worker) => worker.IsLive ? Results.Text("ok") : Results.Text($"unhealthy: {worker.Unhealthy}", statusCode: 503));
app.MapGet("/ready", (RenderWorker worker) => worker.IsReady ? Results.Text("ready")
    : Results.Text(worker.IsDraining ? "draining" : worker.Unhealthy is { } why ? $"unhealthy: {why}" : "loading", statusCode: 503));
app.Logger.LogInformation("Engine runs on {LibTorch}", libtorch.Describe());
await app.RunAsync();
return 0;
