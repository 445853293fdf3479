using HiStream.Engine.Native;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using HiStream.Silo.Hosting;
using OpenTelemetry.Metrics;

// A GPU (or CPU) silo: renders videos pulled from the queue, serves /healthz (liveness: the process answers) and /ready
// (readiness: model loaded, not draining) on its HTTP port, and /metrics (Prometheus) and /dashboard (Orleans, when
// Management:Dashboard is on) on its management port (Management:Port, 9090) only.
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
ManagementPort management;
try
{
    management = ManagementPort.FromConfiguration(builder.Configuration);
    builder.ListenOnManagementPort(management);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"histream-silo: {e.Message}");
    return 2;
}
var shutdown = builder.Configuration.GetValue("Farm:ShutdownTimeout", TimeSpan.FromSeconds(120));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown);
builder.UseOrleans(silo =>
{
    silo.UseHiStreamClustering(builder.Configuration);
    silo.AddHiStreamSilo(builder.Configuration);
    silo.AddManagementDashboard(management);
});
builder.Services.AddPodDeletionCost(builder.Configuration);
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(FarmMetrics.MeterName, "Microsoft.Orleans")
    .AddPrometheusExporter());

var app = builder.Build();
app.MapManagementEndpoints(management);
app.MapGet("/healthz", (RenderWorker worker) => worker.IsLive ? Results.Text("ok") : Results.Text($"unhealthy: {worker.Unhealthy}", statusCode: 503));
app.MapGet("/ready", (RenderWorker worker) => worker.IsReady ? Results.Text("ready")
    : Results.Text(worker.IsDraining ? "draining" : worker.Unhealthy is { } why ? $"unhealthy: {why}" : "loading", statusCode: 503));
app.Logger.LogInformation("Engine runs on {LibTorch}", libtorch.Describe());
await app.RunAsync();
return 0;
