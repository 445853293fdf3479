using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// A file written by torch.save (zip format, PyTorch >= 1.6): <c>&lt;name&gt;/data.pkl</c> describes the object,
/// <c>&lt;name&gt;/data/&lt;key&gt;</c> hold the raw little-endian storages. Other records (version,
/// .format_version, byteorder, .data/serialization_id, ...) are tolerated. Storages are streamed from the
/// archive straight into tensor memory, so multi-GB entries never pass through a managed array.
/// </summary>
internal sealed class TorchZipArchive : IDisposable
{
    /// <summary>
    /// torch.save stores records uncompressed; a deflated record may expand at most this much (random weights
    /// barely compress), so a few compressed megabytes cannot claim gigabytes of memory (a zip bomb).
    /// </summary>
    private const long MaxExpansion = 100;

    private readonly FileStream _file;
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);

    public TorchZipArchive(string path)
    {
        Path = path;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            try { _zip = new ZipArchive(_file, ZipArchiveMode.Read, leaveOpen: true); }
            catch (InvalidDataException ex) { throw new InvalidDataException($"{path}: not a readable zip archive (truncated or corrupt?): {ex.Message}", ex); }
            _prefix = FindPrefix();
            CheckByteOrder();
            var pklEntry = _zip.GetEntry(_prefix + "data.pkl")!;
            byte[] pkl = ReadSmallEntry(pklEntry);
            Root = PickleMachine.Load(pkl, $"{path} ({pklEntry.FullName})", PersistentLoad);
        }
        catch
        {
            _zip?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>The unpickled object: dicts, lists, tuples, scalars and <see cref="TensorRef"/> leaves.</summary>
    public object? Root { get; }

    /// <summary>Reads one whole storage as a 1-D CPU tensor of its dtype.</summary>
    public unsafe torch.Tensor ReadStorage(StorageRef s)
    {
        var entry = _zip.GetEntry($"{_prefix}data/{s.Key}")
            ?? throw new InvalidDataException($"{Path}: storage record '{_prefix}data/{s.Key}' is missing from the archive.");
        RefuseZipBomb(entry);
        long elementSize = TensorMemory.ElementSize(s.DType);
        if (s.ElementCount > entry.Length / elementSize) // division: a huge element count must not overflow
            throw new InvalidDataException($"{Path}: storage '{s.Key}' has {entry.Length} bytes, too few for its {s.ElementCount} {s.DType} elements.");
        long bytes = s.ElementCount * elementSize;
        var t = torch.empty(s.ElementCount, s.DType);
        if (bytes == 0) return t;
        try
        {
            byte* dst = (byte*)TensorMemory.DataPointer(t);
            using var src = entry.Open();
            var crc = new Crc32();
            long done = 0;
            while (done < bytes)
            {
                int want = (int)Math.Min(1 << 26, bytes - done);
                var chunk = new Span<byte>(dst + done, want);
                int n = src.Read(chunk);
                if (n <= 0) throw new InvalidDataException($"{Path}: storage '{s.Key}' ends after {done} of {bytes} bytes (truncated file?).");
                crc.Append(chunk[..n]);
                done += n;
            }
            // ZipArchive does not verify stored (uncompressed) entries, which is how torch.save writes storages.
            if (entry.Length == bytes && crc.GetCurrentHashAsUInt32() != entry.Crc32)
                throw new InvalidDataException($"{Path}: storage '{s.Key}' fails its CRC-32 check (corrupt file).");
            return t;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            t.Dispose();
            if (ex.Message.StartsWith(Path, StringComparison.Ordinal)) throw;
            throw new InvalidDataException($"{Path}: cannot read storage '{s.Key}' (truncated or corrupt file?): {ex.Message}", ex);
        }
    }

    private string FindPrefix()
    {
        // "<name>/data.pkl" at the top level of the archive (torch names <name> after the file, newer versions "archive")
        var pkls = _zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pkls.Count == 1)
        {
            var name = pkls[0].FullName;
            return name[..^"data.pkl".Length];
        }
        if (_zip.Entries.Any(e => e.FullName.EndsWith("constants.pkl", StringComparison.Ordinal)))
            throw new InvalidDataException($"{Path}: this is a TorchScript archive (torch.jit.save), not a torch.save state dict.");
        throw new InvalidDataException(pkls.Count == 0
            ? $"{Path}: zip archive has no data.pkl record, so it was not written by torch.save."
            : $"{Path}: zip archive has {pkls.Count} data.pkl records; expected one.");
    }

    private void CheckByteOrder()
    {
        var e = _zip.GetEntry(_prefix + "byteorder");
        if (e == null) return;
        var order = Encoding.ASCII.GetString(ReadSmallEntry(e)).Trim();
        if (order != "little")
            throw new InvalidDataException($"{Path}: storages are stored '{order}'-endian; only little-endian checkpoints are supported.");
    }

    private byte[] ReadSmallEntry(ZipArchiveEntry e)
    {
        if (e.Length > int.MaxValue) throw new InvalidDataException($"{Path}: record '{e.FullName}' is too large ({e.Length} bytes).");
        RefuseZipBomb(e);
        var buf = new byte[e.Length];
        try
        {
            using var s = e.Open();
            s.ReadExactly(buf);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or EndOfStreamException)
        {
            throw new InvalidDataException($"{Path}: cannot read record '{e.FullName}' (truncated or corrupt file?): {ex.Message}", ex);
        }
        return buf;
    }

    private void RefuseZipBomb(ZipArchiveEntry e)
    {
        if (e.Length > MaxExpansion * e.CompressedLength + (1 << 20))
            throw new InvalidDataException(
                $"{Path}: record '{e.FullName}' expands from {e.CompressedLength} to {e.Length} bytes, more than {MaxExpansion}x (a zip bomb?). " +
                "torch.save stores records uncompressed; re-save the checkpoint with torch.save.");
    }

    /// <summary>('storage', storage_type, key, location, numel) -> one shared <see cref="StorageRef"/> per key.</summary>
    private object PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] as string != "storage")
            throw new InvalidDataException($"{Path}: unsupported persistent id in data.pkl (expected a ('storage', ...) tuple).");
        if (t[1] is not PickleGlobal g || !TorchPickleGlobals.TryStorageType(g, out var dtype))
            throw new InvalidDataException($"{Path}: unsupported storage type '{t[1]}'.");
        var key = t[2] as string ?? throw new InvalidDataException($"{Path}: storage key is not a string.");
        var location = t[3] as string ?? "cpu";
        var numel = t[4] is long n && n >= 0 ? n : throw new InvalidDataException($"{Path}: storage '{key}' has no valid element count.");
        if (_storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != dtype) throw new InvalidDataException($"{Path}: storage '{key}' is referenced as {existing.DType} and as {dtype}.");
            return existing;
        }
        if (_zip.GetEntry($"{_prefix}data/{key}") == null)
            throw new InvalidDataException($"{Path}: storage record '{_prefix}data/{key}' is missing from the archive.");
        var s = new StorageRef(key, dtype, numel, location);
        _storages[key] = s;
        return s;
    }

    public void Dispose()
    {
        _zip.Dispose();
        _file.Dispose();
    }
}
