using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Polly;

namespace HiStream.Grains.Storage;

/// <summary><see cref="IBlobStore"/> on Azure Blob Storage (or Azurite), with Polly retries on transient errors.
/// Containers are created on first use.</summary>
public sealed class AzureBlobStore : IBlobStore
{
    private readonly BlobServiceClient _service;
    private readonly ResiliencePipeline _retry;
    private readonly ConcurrentDictionary<string, Task> _containers = new(StringComparer.Ordinal);
    private volatile UserDelegationKey? _delegationKey;

    public AzureBlobStore(BlobServiceClient service, ResiliencePipeline retry)
    {
        _service = service;
        _retry = retry;
    }

    public static AzureBlobStore FromConnectionString(string connectionString, int maxAttempts = 8) =>
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
        try
        {
            await WriteAsync(container, name, (blob, ct) => blob.UploadAsync(content, new BlobUploadOptions
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

    public Task PutAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default) =>
        WriteAsync(container, name, (blob, ct) => blob.UploadAsync(content, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
        }, ct), cancellationToken);

    public Task PutFileAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default) =>
        WriteAsync(container, name, async (blob, ct) =>
        {
            await using var file = File.OpenRead(path);
            await blob.UploadAsync(file, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct);
        }, cancellationToken);

    /// <summary>An append blob: each block is one atomic append (at most 50,000 per blob, 4 MiB each).</summary>
    public Task AppendAsync(string container, string name, BinaryData block, CancellationToken cancellationToken = default) =>
        WriteAsync(container, name, async (blob, ct) =>
        {
            var append = blob.GetParentBlobContainerClient().GetAppendBlobClient(name);
            try
            {
                await append.AppendBlockAsync(block.ToStream(), cancellationToken: ct);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode != BlobErrorCode.ContainerNotFound)
            {
                await append.CreateIfNotExistsAsync(new AppendBlobCreateOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, ct);
                await append.AppendBlockAsync(block.ToStream(), cancellationToken: ct);
            }
        }, cancellationToken);

    /// <summary>A write with the store's retries. A container that went away after this store created it (deleted by
    /// hand, or storage restored without it) is created again, once, rather than failing every write to it.</summary>
    private async Task WriteAsync(string container, string name, Func<BlobClient, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(container, name, cancellationToken);
        try
        {
            await _retry.ExecuteAsync(async ct => await write(blob, ct), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            _containers.TryRemove(container, out _);
            blob = await BlobAsync(container, name, cancellationToken);
            await _retry.ExecuteAsync(async ct => await write(blob, ct), cancellationToken);
        }
    }

    public async Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var blob = Blob(container, name);
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
        var blob = Blob(container, name);
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
        var blob = Blob(container, name);
        var exists = await _retry.ExecuteAsync(async ct => await blob.ExistsAsync(ct), cancellationToken);
        return exists.Value;
    }

    public async IAsyncEnumerable<BlobEntry> ListAsync(string container, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobNames.CheckPrefix(prefix);
        var client = Container(container);
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
        var blob = Blob(container, name);
        await _retry.ExecuteAsync(async ct => await blob.DeleteIfExistsAsync(cancellationToken: ct), cancellationToken);
    }

    public Uri GetUri(string container, string name) => Blob(container, name).Uri;

    /// <summary>A read-only SAS URL for one blob: a service SAS signed with the account key when the client has one,
    /// else a user delegation SAS (a client built on a token credential). The delegation key is fetched once and
    /// reused while it is valid for the requested expiry.</summary>
    public async Task<Uri?> TryGetReadUrlAsync(string container, string name, DateTimeOffset expiresOn, CancellationToken cancellationToken = default)
    {
        var blob = Blob(container, name);
        if (blob.CanGenerateSasUri) return blob.GenerateSasUri(BlobSasPermissions.Read, expiresOn);
        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
        {
            BlobContainerName = container,
            BlobName = name,
            Resource = "b",
            StartsOn = DateTimeOffset.UtcNow.AddMinutes(-5),
        };
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, _service.AccountName) }.ToUri();
    }

    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        var cached = _delegationKey;
        if (cached is not null && cached.SignedExpiresOn >= expiresOn) return cached;
        var now = DateTimeOffset.UtcNow;
        var until = expiresOn > now.AddDays(6) ? expiresOn : now.AddDays(6);
        var key = await _retry.ExecuteAsync(async ct => await _service.GetUserDelegationKeyAsync(now.AddMinutes(-5), until, ct), cancellationToken);
        _delegationKey = key.Value;
        return key.Value;
    }

    private BlobContainerClient Container(string container)
    {
        BlobNames.CheckContainer(container);
        return _service.GetBlobContainerClient(container);
    }

    private BlobClient Blob(string container, string name)
    {
        BlobNames.CheckName(name);
        return Container(container).GetBlobClient(name);
    }

    private async Task<BlobClient> BlobAsync(string container, string name, CancellationToken cancellationToken)
    {
        BlobNames.CheckName(name);
        var client = Container(container);
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
