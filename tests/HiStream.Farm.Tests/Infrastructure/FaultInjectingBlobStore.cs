using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>One call to the result store, as the fault rule of <see cref="FaultInjectingBlobStore"/> sees it
/// (<paramref name="Content"/>: what an append or write carries).</summary>
public sealed record BlobCall(string Operation, string Container, string Name, BinaryData? Content = null);

/// <summary>The real result store, except that a call the test's rule answers with an exception throws it instead of
/// reaching storage.</summary>
public sealed class FaultInjectingBlobStore(IBlobStore inner, Func<BlobCall, Exception?> fault) : IBlobStore
{
    public Task<bool> TryCreateAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(TryCreateAsync), container, name, content));
        return inner.TryCreateAsync(container, name, content, contentType, cancellationToken);
    }

    public Task PutAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(PutAsync), container, name, content));
        return inner.PutAsync(container, name, content, contentType, cancellationToken);
    }

    public Task PutFileAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(PutFileAsync), container, name));
        return inner.PutFileAsync(container, name, path, contentType, cancellationToken);
    }

    public Task AppendAsync(string container, string name, BinaryData block, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(AppendAsync), container, name, block));
        return inner.AppendAsync(container, name, block, cancellationToken);
    }

    public Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(TryReadAsync), container, name));
        return inner.TryReadAsync(container, name, cancellationToken);
    }

    public Task<Stream?> TryOpenReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(TryOpenReadAsync), container, name));
        return inner.TryOpenReadAsync(container, name, cancellationToken);
    }

    public Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(ExistsAsync), container, name));
        return inner.ExistsAsync(container, name, cancellationToken);
    }

    public IAsyncEnumerable<BlobEntry> ListAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(ListAsync), container, prefix));
        return inner.ListAsync(container, prefix, cancellationToken);
    }

    public Task DeleteAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        Check(new BlobCall(nameof(DeleteAsync), container, name));
        return inner.DeleteAsync(container, name, cancellationToken);
    }

    public Uri GetUri(string container, string name) => inner.GetUri(container, name);

    public Task<Uri?> TryGetReadUrlAsync(string container, string name, DateTimeOffset expiresOn, CancellationToken cancellationToken = default) =>
        inner.TryGetReadUrlAsync(container, name, expiresOn, cancellationToken);

    private void Check(BlobCall call)
    {
        if (fault(call) is { } exception) throw exception;
    }
}
