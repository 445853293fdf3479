using Azure.Storage.Blobs;
using HiStream.Engine.Pipeline;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace HiStream.Silo.Hosting;

public static class HiStreamSiloExtensions
{
    /// <summary>Farm services plus what configuration chooses: the result store (<c>Farm:Blob:ConnectionString</c>
    /// for Azure Blob, else the folder <c>Farm:Blob:LocalRoot</c>) and the grain state provider
    /// (<c>Farm:State:Provider</c> = memory | azureblob | redis), and in-memory reminders where the clustering chose
    /// no reminder store (<see cref="HiStreamReminders"/>). Clustering is the host's choice.</summary>
    public static ISiloBuilder AddHiStreamSilo(this ISiloBuilder silo, IConfiguration configuration, IBlobStore? blobStore = null)
    {
        var services = silo.Services;
        services.Configure<FarmOptions>(configuration.GetSection(FarmOptions.Section));
        services.Configure<PipelineOptions>(configuration.GetSection(PipelineOptions.Section));
        if (blobStore is not null) services.AddSingleton(blobStore);
        services.TryAddSingleton<IBlobStore>(_ => BlobStoreFromConfiguration(configuration));
        AddStateStorage(silo, configuration);
        silo.AddHiStreamReminderDefaults();
        silo.AddHiStreamFarm();
        return silo;
    }

    public static IBlobStore BlobStoreFromConfiguration(IConfiguration configuration)
    {
        var connection = configuration["Farm:Blob:ConnectionString"];
        if (!string.IsNullOrWhiteSpace(connection)) return AzureBlobStore.FromConnectionString(connection);
        return new LocalFolderBlobStore(configuration["Farm:Blob:LocalRoot"] ?? Path.Combine(Environment.CurrentDirectory, "histream-data"));
    }

    private static void AddStateStorage(ISiloBuilder silo, IConfiguration configuration)
    {
        var provider = (configuration["Farm:State:Provider"] ?? "memory").ToLowerInvariant();
        var connection = configuration["Farm:State:ConnectionString"];
        switch (provider)
        {
            case "memory":
                silo.AddMemoryGrainStorage(FarmStorage.Name);
                break;
            case "azureblob":
                connection ??= configuration["Farm:Blob:ConnectionString"];
                if (string.IsNullOrWhiteSpace(connection)) throw new InvalidOperationException("Farm:State:Provider is azureblob: set Farm:State:ConnectionString (or Farm:Blob:ConnectionString).");
                var container = configuration["Farm:State:Container"] ?? "histream-state";
                // Orleans' own provider: one blob "<state name>-<grain id>.json" per grain state, ETag-guarded writes.
                silo.AddAzureBlobGrainStorage(FarmStorage.Name, o =>
                {
                    // The SDK's retries are off: RetryingGrainStorage retries every provider's state calls (~16 s, like the result store).
                    o.BlobServiceClient = new BlobServiceClient(connection, AzureBlobStore.ClientOptions());
                    o.ContainerName = container;
                });
                break;
            case "redis":
                connection ??= configuration["Orleans:Redis"];
                if (string.IsNullOrWhiteSpace(connection)) throw new InvalidOperationException("Farm:State:Provider is redis: set Farm:State:ConnectionString (or Orleans:Redis).");
                silo.AddRedisGrainStorage(FarmStorage.Name, o => o.ConfigurationOptions = RedisConnection.Options(configuration, connection));
                break;
            default:
                throw new InvalidOperationException($"Farm:State:Provider '{provider}' is not one of memory, azureblob, redis.");
        }
        RetryingGrainStorage.Decorate(silo.Services, FarmStorage.Name);
    }
}
