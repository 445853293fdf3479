using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Polly;

namespace HiStream.Grains.Storage;

/// <summary><see cref="IBlobStore"/> on Azure Blob Storage (or Azurite), with Polly retries on transient errors.
/// Containers are created on first use.</summary>
public sealed class AzureBlobStore : IBlobStore
{
    private readonly BlobServiceClient _service;
    private readonly ResiliencePipeline _retry;
    private readonly ConcurrentDictionary<string, Task> _containers = new(StringComparer.Ordinal);

    public AzureBlobStore(BlobServiceClient service, ResiliencePipeline retry)
    {
        _service = service;
        _retry = retry;
    }

    public static AzureBlobStore FromConnectionString(string connectionString, int maxAttempts = 4) =>
        new(new BlobServiceClient(connectionString, ClientOptions()), BlobRetry.Create(maxAttempts, TimeSpan.FromMilliseconds(200)));

    /// <summary>The SDK's own retries are off: the Polly pipeline is the one retry policy.</summary>
    public static BlobClientOptions ClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        return options;
    }

    public BlobServiceClient Service => _service;

    public async Task<bool> TryCreateAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        try
        {
            await _retry.ExecuteAsync(async ct => await blob.UploadAsync(content, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409 || ex.Status == 412)
        {
            return false;
        }
    }

    public async Task PutAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        await _retry.ExecuteAsync(async ct => await blob.UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
        }, ct), cancellationToken);
    }

    public async Task PutFileAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        await _retry.ExecuteAsync(async ct =>
        {
            await using var file = File.OpenRead(path);
            await blob.UploadAsync(file, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct);
        }, cancellationToken);
    }

    /// <summary>An append blob: each block is one atomic append (at most 50,000 per blob, 4 MiB each).</summary>
    public async Task AppendAsync(string container, string name, BinaryData block, CancellationToken cancellationToken = default)
    {
        await BlobAsync(container, name, cancellationToken);
        var append = _service.GetBlobContainerClient(container).GetAppendBlobClient(name);
        await _retry.ExecuteAsync(async ct =>
        {
            try
            {
                await append.AppendBlockAsync(block.ToStream(), cancellationToken: ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                await append.CreateIfNotExistsAsync(new AppendBlobCreateOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, ct);
                await append.AppendBlockAsync(block.ToStream(), cancellationToken: ct);
            }
        }, cancellationToken);
    }

    public async Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        try
        {
            var result = await _retry.ExecuteAsync(async ct => await blob.DownloadContentAsync(ct), cancellationToken);
            return result.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream?> TryOpenReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        try
        {
            return await _retry.ExecuteAsync(async ct => await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        var exists = await _retry.ExecuteAsync(async ct => await blob.ExistsAsync(ct), cancellationToken);
        return exists.Value;
    }

    public async IAsyncEnumerable<BlobEntry> ListAsync(string container, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var client = _service.GetBlobContainerClient(container);
        var pages = client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).AsPages(pageSizeHint: 1000).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await pages.MoveNextAsync();
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    yield break; // no container, nothing listed
                }
                if (!more) yield break;
                foreach (var item in pages.Current.Values)
                    yield return new BlobEntry(item.Name, item.Properties.ContentLength ?? 0, item.Properties.LastModified, item.Properties.ETag?.ToString());
            }
        }
        finally
        {
            await pages.DisposeAsync();
        }
    }

    public async Task DeleteAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        await _retry.ExecuteAsync(async ct => await blob.DeleteIfExistsAsync(cancellationToken: ct), cancellationToken);
    }

    public Uri GetUri(string container, string name) => _service.GetBlobContainerClient(container).GetBlobClient(name).Uri;

    private async Task<BlobClient> BlobAsync(string container, string name, CancellationToken cancellationToken)
    {
        var client = _service.GetBlobContainerClient(container);
        var created = _containers.GetOrAdd(container, _ => _retry.ExecuteAsync(async ct => await client.CreateIfNotExistsAsync(cancellationToken: ct), CancellationToken.None).AsTask());
        try
        {
            await created.WaitAsync(cancellationToken);
        }
        catch
        {
            _containers.TryRemove(container, out _);
            throw;
        }
        return client.GetBlobClient(name);
    }
}
