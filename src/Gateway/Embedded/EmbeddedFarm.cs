using System.Net;
using System.Net.Sockets;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using HiStream.Grains.Workers;
using HiStream.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace HiStream.Gateway.Embedded;

/// <summary>A one-silo farm inside the CLI process: localhost clustering on free ports, in-memory grain state, the
/// output folder as the blob store (or Azure Blob with a connection string). Same grains, queue and worker as a
/// cluster.</summary>
public sealed class EmbeddedFarm : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedFarm(IHost host, IBlobStore blobs, string container)
    {
        _host = host;
        Blobs = blobs;
        Container = container;
    }

    public IServiceProvider Services => _host.Services;
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();
    public JobSubmitter Submitter => _host.Services.GetRequiredService<JobSubmitter>();
    public RenderWorker Worker => _host.Services.GetRequiredService<RenderWorker>();
    public IBlobStore Blobs { get; }
    public string Container { get; }

    public static async Task<EmbeddedFarm> StartAsync(EmbeddedFarmOptions options, CancellationToken cancellationToken)
    {
        var outDir = Path.GetFullPath(options.Out);
        Directory.CreateDirectory(outDir);
        var settings = new Dictionary<string, string?>
        {
            ["Farm:Slots"] = options.Slots.ToString(),
            ["Farm:ResultsContainer"] = options.Container,
            ["Farm:State:Provider"] = "memory",
            ["Farm:PollInterval"] = "00:00:00.200",
        };
        foreach (var (k, v) in options.Settings) settings[k] = v;

        IBlobStore blobs = options.BlobConnectionString is { Length: > 0 } cs
            ? AzureBlobStore.FromConnectionString(cs)
            : new LocalFolderBlobStore(Path.Combine(outDir, ".histream"), new Dictionary<string, string> { [options.Container] = outDir });

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Environment.ContentRootPath = AppContext.BaseDirectory;
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
        if (!options.Verbose)
        {
            builder.Logging.AddFilter("Orleans", LogLevel.Error);
            builder.Logging.AddFilter("Microsoft", LogLevel.Error);
        }
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort());
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "histream-embedded";
                o.ServiceId = "histream-embedded";
            });
            silo.AddHiStreamSilo(builder.Configuration, blobs);
        });
        builder.Services.Configure<GatewayLimits>(builder.Configuration.GetSection(GatewayLimits.Section));
        builder.Services.Configure<FarmOptions>(builder.Configuration.GetSection(FarmOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<JobSubmitter>();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var farm = new EmbeddedFarm(host, blobs, options.Container);
        await farm.Worker.Ready.WaitAsync(cancellationToken);
        return farm;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            _host.Dispose();
        }
    }
}
