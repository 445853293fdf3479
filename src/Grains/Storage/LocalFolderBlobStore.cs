using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;

namespace HiStream.Grains.Storage;

/// <summary><see cref="IBlobStore"/> on a local folder: <c>{root}/{container}/{name}</c>, unless a container is mapped
/// to its own folder (the embedded <c>render</c> maps its output container to <c>--out</c>). Writes go to a temporary
/// file first and are moved into place, so a reader never sees half a blob.</summary>
public sealed class LocalFolderBlobStore : IBlobStore
{
    /// <summary>An append waits while another appender (of any process) holds the file's lock, 5 ms at a time for up
    /// to 10 s. Not <see cref="Hosting.FarmRetry"/>: this is a lock wait, not a fault, and it wants a short constant
    /// pause rather than a backoff.</summary>
    private static readonly ResiliencePipeline LockWait = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 2000,
            Delay = TimeSpan.FromMilliseconds(5),
            BackoffType = DelayBackoffType.Constant,
            UseJitter = false,
            ShouldHandle = new PredicateBuilder().Handle<IOException>(),
        })
        .Build();
    private readonly string _root;
    private readonly IReadOnlyDictionary<string, string> _containerFolders;

    public LocalFolderBlobStore(string root, IReadOnlyDictionary<string, string>? containerFolders = null)
    {
        _root = Path.GetFullPath(root);
        _containerFolders = containerFolders?.ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value), StringComparer.Ordinal)
                            ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public async Task<bool> TryCreateAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        if (File.Exists(path)) return false;
        var tmp = await WriteTempAsync(path, content, cancellationToken);
        try
        {
            File.Move(tmp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(tmp);
            return false;
        }
    }

    public async Task PutAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        var tmp = await WriteTempAsync(path, content, cancellationToken);
        File.Move(tmp, path, overwrite: true);
    }

    public async Task PutFileAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default)
    {
        var target = PathOf(container, name);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var tmp = target + $".{Guid.NewGuid():N}.tmp";
        await using (var source = File.OpenRead(path))
        await using (var dest = File.Create(tmp))
            await source.CopyToAsync(dest, cancellationToken);
        File.Move(tmp, target, overwrite: true);
    }

    /// <summary>Appends under an exclusive lock on the file (FileShare.None is an advisory lock on Unix), so concurrent
    /// appenders in this or another process never interleave.</summary>
    public async Task AppendAsync(string container, string name, BinaryData block, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = block.ToMemory();
        await using var file = await LockWait.ExecuteAsync(_ => ValueTask.FromResult(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1)),
            cancellationToken);
        await file.WriteAsync(bytes, cancellationToken);
        await file.FlushAsync(cancellationToken);
    }

    public async Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        if (!File.Exists(path)) return null;
        try
        {
            return BinaryData.FromBytes(await File.ReadAllBytesAsync(path, cancellationToken));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public Task<Stream?> TryOpenReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        try
        {
            return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(container, name)));

    public async IAsyncEnumerable<BlobEntry> ListAsync(string container, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobNames.CheckPrefix(prefix);
        var folder = ContainerFolder(container);
        if (!Directory.Exists(folder)) yield break;
        // Start from the deepest folder the prefix names, so listing one job does not walk the whole store.
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? folder : Confine(folder, Path.Combine(folder, prefix[..slash]));
        if (!Directory.Exists(start)) yield break;
        var names = Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(folder, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(Path.Combine(folder, name));
            if (!info.Exists) continue;
            yield return new BlobEntry(name, info.Length, info.LastWriteTimeUtc, $"\"{info.LastWriteTimeUtc.Ticks:x}-{info.Length:x}\"");
            await Task.CompletedTask;
        }
    }

    public Task DeleteAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(container, name);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    public Uri GetUri(string container, string name) => new(PathOf(container, name));

    public Task<Uri?> TryGetReadUrlAsync(string container, string name, DateTimeOffset expiresOn, CancellationToken cancellationToken = default)
    {
        PathOf(container, name);
        return Task.FromResult<Uri?>(null);
    }

    /// <summary>The folder of a container: its mapped folder, else <c>{root}/{container}</c>. The name is checked by
    /// <see cref="BlobNames"/> first, so it can never be absolute or climb out of the root.</summary>
    private string ContainerFolder(string container)
    {
        BlobNames.CheckContainer(container);
        return _containerFolders.TryGetValue(container, out var folder) ? folder : Confine(_root, Path.Combine(_root, container));
    }

    private string PathOf(string container, string name)
    {
        BlobNames.CheckName(name);
        var folder = ContainerFolder(container);
        return Confine(folder, Path.Combine(folder, name.Replace('/', Path.DirectorySeparatorChar)));
    }

    /// <summary>Where the blob lies on disk (for range-serving it), or null when it does not exist. The path is
    /// confined to the container's folder like every other.</summary>
    public string? TryGetFilePath(string container, string name)
    {
        var path = PathOf(container, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The second line of defence after the name rules: the resolved path must lie strictly inside
    /// <paramref name="folder"/>.</summary>
    private static string Confine(string folder, string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new InvalidBlobNameException("name", $"'{full}' is outside the store folder '{folder}'.");
        return full;
    }

    private static async Task<string> WriteTempAsync(string path, BinaryData content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + $".{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(tmp, content.ToMemory(), cancellationToken);
        return tmp;
    }
}
