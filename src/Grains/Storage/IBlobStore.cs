namespace HiStream.Grains.Storage;

/// <summary>The result store: Azure Blob in a farm, a local folder for the embedded default. Names use '/' as
/// separator. Writes are create-only where a retry must not overwrite finished work.</summary>
public interface IBlobStore
{
    /// <summary>Writes the blob only if it does not exist. Returns false (and writes nothing) if it exists.</summary>
    Task<bool> TryCreateAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default);

    Task PutAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>Uploads a local file (large outputs such as the final video) without loading it into memory.</summary>
    Task PutFileAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default);

    /// <summary>Appends a block to the end of the blob (created empty if missing). One append is atomic: concurrent
    /// appenders never interleave within a block. A retried append may repeat its block, so readers of appended logs
    /// must tolerate a repeated line.</summary>
    Task AppendAsync(string container, string name, BinaryData block, CancellationToken cancellationToken = default);

    Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default);

    /// <summary>Opens a blob for streaming reads; null when it does not exist.</summary>
    Task<Stream?> TryOpenReadAsync(string container, string name, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default);

    IAsyncEnumerable<BlobEntry> ListAsync(string container, string prefix, CancellationToken cancellationToken = default);

    Task DeleteAsync(string container, string name, CancellationToken cancellationToken = default);

    /// <summary>Where a client can fetch the blob (an https/http URL for Azure, a file URI for the local store).</summary>
    Uri GetUri(string container, string name);

    /// <summary>A URL that lets whoever holds it read the blob, and nothing else, until <paramref name="expiresOn"/>
    /// (an Azure SAS); null when the store cannot issue one (the local store: the gateway serves the file itself).</summary>
    Task<Uri?> TryGetReadUrlAsync(string container, string name, DateTimeOffset expiresOn, CancellationToken cancellationToken = default);
}

public sealed record BlobEntry(string Name, long Size, DateTimeOffset? LastModified, string? ETag);
