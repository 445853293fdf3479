using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;
using Polly;

namespace HiStream.Grains.Storage;

/// <summary>Orleans grain storage on Azure Blob (the Orleans Azure package is not available here, so this is written
/// on Azure.Storage.Blobs). One blob per grain state, <c>{stateName}/{grainId}.json</c>; writes carry the ETag
/// (create-only when there is none), so a stale activation gets <see cref="InconsistentStateException"/> instead of
/// overwriting a newer state.</summary>
public sealed class AzureBlobGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _name;
    private readonly AzureBlobGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly BlobContainerClient _container;

    public AzureBlobGrainStorage(string name, AzureBlobGrainStorageOptions options, IGrainStorageSerializer defaultSerializer, ILogger<AzureBlobGrainStorage> logger)
    {
        _name = name;
        _options = options;
        _serializer = options.Serializer ?? defaultSerializer;
        _logger = logger;
        _retry = BlobRetry.Create(options.MaxAttempts, TimeSpan.FromMilliseconds(200));
        var service = options.ServiceClient
                      ?? new BlobServiceClient(options.ConnectionString ?? throw new InvalidOperationException($"Grain storage '{name}': set ConnectionString or ServiceClient."), AzureBlobStore.ClientOptions());
        _container = service.GetBlobContainerClient(options.ContainerName);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(AzureBlobGrainStorage)}-{_name}", ServiceLifecycleStage.ApplicationServices, InitAsync);

    private async Task InitAsync(CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(async ct => await _container.CreateIfNotExistsAsync(cancellationToken: ct), cancellationToken);

    public static string BlobName(string stateName, GrainId grainId) =>
        $"{stateName}/{Uri.EscapeDataString(grainId.ToString())}.json";

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var blob = _container.GetBlobClient(BlobName(stateName, grainId));
        try
        {
            var response = await _retry.ExecuteAsync(async ct => await blob.DownloadContentAsync(ct), CancellationToken.None);
            var content = response.Value.Content;
            if (content.ToMemory().Length == 0)
            {
                grainState.State = Activator.CreateInstance<T>();
                grainState.RecordExists = false;
            }
            else
            {
                grainState.State = _serializer.Deserialize<T>(content);
                grainState.RecordExists = true;
            }
            grainState.ETag = response.Value.Details.ETag.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var name = BlobName(stateName, grainId);
        var content = _serializer.Serialize(grainState.State);
        var response = await ConditionalAsync(name, grainState.ETag, (blob, conditions, ct) => blob.UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            Conditions = conditions,
        }, ct));
        grainState.ETag = response.Value.ETag.ToString();
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var name = BlobName(stateName, grainId);
        if (_options.DeleteStateOnClear)
        {
            if (grainState.ETag is not null)
                await ConditionalAsync(name, grainState.ETag, async (blob, conditions, ct) => await blob.DeleteIfExistsAsync(conditions: conditions, cancellationToken: ct));
            grainState.ETag = null;
        }
        else
        {
            var response = await ConditionalAsync(name, grainState.ETag, (blob, conditions, ct) => blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = conditions }, ct));
            grainState.ETag = response.Value.ETag.ToString();
        }
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private async Task<TResult> ConditionalAsync<TResult>(string name, string? etag, Func<BlobClient, BlobRequestConditions, CancellationToken, Task<TResult>> operation)
    {
        var blob = _container.GetBlobClient(name);
        var conditions = string.IsNullOrEmpty(etag)
            ? new BlobRequestConditions { IfNoneMatch = ETag.All }
            : new BlobRequestConditions { IfMatch = new ETag(etag) };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await _retry.ExecuteAsync(async ct => await operation(blob, conditions, ct), CancellationToken.None);
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound && attempt == 0)
            {
                await InitAsync(CancellationToken.None);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && ex.ErrorCode != BlobErrorCode.ContainerNotFound))
            {
                string? current = null;
                try
                {
                    current = (await blob.GetPropertiesAsync()).Value.ETag.ToString();
                }
                catch (RequestFailedException)
                {
                }
                _logger.LogWarning("Grain storage {Provider}: stale write to {Blob} (expected ETag {Expected}, stored {Stored})", _name, name, etag ?? "<none>", current ?? "<none>");
                throw new InconsistentStateException($"Blob {name} was changed by another writer (expected ETag {etag ?? "<none>"}).", current ?? "", etag ?? "", ex);
            }
        }
    }
}
