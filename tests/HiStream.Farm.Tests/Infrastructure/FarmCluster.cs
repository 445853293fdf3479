using HiStream.Abstractions.Jobs;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using HiStream.Grains.Workers;
using HiStream.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>An in-process cluster of render silos (tiny seeded model, CPU) with results and grain state in Azurite.
/// Each cluster gets its own containers.</summary>
public sealed class FarmCluster : IAsyncDisposable
{
    private FarmCluster(InProcessTestCluster cluster, AzureBlobStore blobs, IBlobStore results, FarmOptions farm, string suffix)
    {
        Cluster = cluster;
        Blobs = blobs;
        Results = results;
        Farm = farm;
        Suffix = suffix;
    }

    /// <summary>Settings for tests that check scheduling and accounting, not frames: no VAE decode (the slowest part on a CPU).</summary>
    public static IReadOnlyDictionary<string, string?> LatentsOnly { get; } = new Dictionary<string, string?> { ["Engine:Decode"] = "false" };

    public InProcessTestCluster Cluster { get; }
    public AzureBlobStore Blobs { get; }
    /// <summary>The store the silos write results to: <see cref="Blobs"/> unless the cluster was given another.</summary>
    public IBlobStore Results { get; }
    public FarmOptions Farm { get; }
    public string Suffix { get; }
    public IGrainFactory Grains => Cluster.Client;
    public string ResultsContainer => Farm.ResultsContainer;

    public IReadOnlyList<RenderWorker> Workers => Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<RenderWorker>()).ToList();

    public JobSubmitter Submitter(GatewayLimits? limits = null) =>
        new(Blobs, Grains, Options.Create(limits ?? new GatewayLimits()), Options.Create(Farm), TimeProvider.System);

    public static async Task<FarmCluster> StartAsync(AzuriteFixture azurite, int[] slotsPerSilo, Action<FarmOptions>? configure = null, string? stateContainer = null,
        IReadOnlyDictionary<string, string?>? settingsOverride = null, Action<int, IServiceCollection>? services = null, IBlobStore? resultStore = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        // The test defaults are settings, so a test's settingsOverride wins over them as it would in appsettings;
        // configure runs after binding, as the silo's own Configure calls do.
        var settings = new Dictionary<string, string?>
        {
            ["Farm:State:Provider"] = "azureblob",
            ["Farm:State:ConnectionString"] = azurite.ConnectionString,
            ["Farm:State:Container"] = stateContainer ?? $"state-{suffix}",
            ["Farm:JobsContainer"] = $"jobs-{suffix}",
            ["Farm:ResultsContainer"] = $"results-{suffix}",
            ["Farm:PollInterval"] = "00:00:00.100",
            ["Farm:LeaseDuration"] = "00:00:30",
            ["Farm:LeaseRenewInterval"] = "00:00:05",
            ["Farm:RetryBackoff"] = "00:00:00.200",
            ["Farm:RetryBackoffMax"] = "00:00:02",
            ["Engine:Threads"] = "1",
        };
        foreach (var (key, value) in settingsOverride ?? new Dictionary<string, string?>()) settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var farm = new FarmOptions();
        configuration.GetSection(FarmOptions.Section).Bind(farm);
        configure?.Invoke(farm);
        var blobs = azurite.CreateStore();
        int created = 0;
        var builder = new InProcessTestClusterBuilder((short)slotsPerSilo.Length);
        builder.ConfigureSilo((_, silo) =>
        {
            int index = Interlocked.Increment(ref created) - 1;
            silo.AddHiStreamSilo(configuration, resultStore ?? blobs);
            silo.Services.Configure<FarmOptions>(o =>
            {
                configure?.Invoke(o);
                o.Slots = slotsPerSilo[Math.Min(index, slotsPerSilo.Length - 1)];
            });
            services?.Invoke(index, silo.Services);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var result = new FarmCluster(cluster, blobs, resultStore ?? blobs, farm, suffix);
        await Task.WhenAll(result.Workers.Select(w => w.Ready)).WaitAsync(TimeSpan.FromMinutes(2));
        return result;
    }

    public Task<HiStream.Abstractions.Queue.QueueSnapshot> QueueAsync() =>
        HiStream.Grains.Queue.FarmQueue.SnapshotAsync(Grains, Farm.QueuePartitions, TimeSpan.FromSeconds(30));

    /// <summary>The queue once no lease is out any more (a video's lease ends just after its last report).</summary>
    public async Task<HiStream.Abstractions.Queue.QueueSnapshot> WaitForIdleQueueAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var snapshot = await QueueAsync();
            if (snapshot.LeasedItems == 0 || DateTime.UtcNow > deadline) return snapshot;
            await Task.Delay(100);
        }
    }

    /// <summary>Polls the job's status until <paramref name="condition"/> holds.</summary>
    public async Task<JobStatus> WaitForStatusAsync(string jobId, Func<JobStatus, bool> condition, TimeSpan timeout)
    {
        var job = Grains.GetGrain<IJobGrain>(jobId);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await job.GetStatusAsync();
            if (condition(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId}: condition not met in {timeout}: {status}");
            await Task.Delay(100);
        }
    }

    public async Task<JobStatus> WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        var job = Grains.GetGrain<IJobGrain>(jobId);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await job.GetStatusAsync();
            if (status.IsFinished) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} did not finish in {timeout}: {status}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until a blob of the results container exists (e.g. the contact sheet, written after the job
    /// finishes) and returns its content.</summary>
    public async Task<byte[]> WaitForBlobAsync(string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (await Blobs.TryReadAsync(ResultsContainer, name) is { } data) return data.ToArray();
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name} was not written.");
            await Task.Delay(200);
        }
    }

    /// <summary>Every blob of the results container with its ETag.</summary>
    public async Task<Dictionary<string, string?>> ResultBlobsAsync()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        await foreach (var b in Blobs.ListAsync(ResultsContainer, "")) result[b.Name] = b.ETag;
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
