using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using HiStream.Silo.Hosting;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;

// A GPU (or CPU) silo: renders videos pulled from the queue, serves /metrics (Prometheus), /dashboard (Orleans),
// /healthz (liveness: the process answers) and /ready (readiness: model loaded, not draining).
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
app.MapGet("/healthz", () => Results.Text("ok"));
app.MapGet("/ready", (RenderWorker worker) => worker.IsReady ? Results.Text("ready") : Results.Text(worker.IsDraining ? "draining" : "loading", statusCode: 503));
await app.RunAsync();
