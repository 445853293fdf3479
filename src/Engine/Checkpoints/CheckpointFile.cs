using System.IO.MemoryMappedFiles;
using TorchSharp;

namespace HiStream.Engine.Checkpoints;

public enum CheckpointFormat
{
    SafeTensors,
    PyTorchZip,
}

/// <param name="Name">Key after sub-dictionary selection and normalisation (what a module expects).</param>
/// <param name="SourceName">Key as stored in the file.</param>
/// <param name="DType">dtype in the file (before any conversion asked for by the selection).</param>
public sealed record CheckpointTensorInfo(string Name, string SourceName, torch.ScalarType DType, long[] Shape);

/// <summary>
/// An opened checkpoint with its tensor list resolved but no tensor data read yet. <see cref="Read"/> loads one
/// tensor at a time (CPU, contiguous), so a caller can copy weights into a module one by one and keep peak memory
/// near one model copy even for multi-GB files. Not thread-safe.
/// </summary>
public sealed class CheckpointFile : IDisposable
{
    private readonly Dictionary<string, Item> _items;
    private readonly List<CheckpointTensorInfo> _infos;
    private readonly TorchZipArchive? _zip;
    private readonly MemoryMappedFile? _mmf;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly long _safetensorsDataStart;
    private readonly Dictionary<string, torch.Tensor> _storageCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _storagePending = new(StringComparer.Ordinal);
    private bool _disposed;

    private sealed record Item(CheckpointTensorInfo Info, TensorRef? Torch, SafeTensorsFile.Entry? Safe);

    internal CheckpointFile(string path, CheckpointFormat format, CheckpointSelection selection)
    {
        Path = path;
        Format = format;
        Selection = selection;
        List<(string Source, TensorRef? Torch, SafeTensorsFile.Entry? Safe, torch.ScalarType DType, long[] Shape)> raw;
        try
        {
            if (format == CheckpointFormat.PyTorchZip)
            {
                _zip = new TorchZipArchive(path);
                var (node, chosen) = TorchStateDictSelector.Select(_zip.Root, selection.SubDictionary, path);
                SubDictionary = chosen;
                raw = TorchStateDictSelector.Flatten(node, path)
                    .Select(p => (p.Key, (TensorRef?)p.Value, (SafeTensorsFile.Entry?)null, p.Value.Storage.DType, p.Value.Shape))
                    .ToList();
                foreach (var r in raw) _storagePending[r.Torch!.Storage.Key] = _storagePending.GetValueOrDefault(r.Torch.Storage.Key) + 1;
            }
            else
            {
                var entries = SafeTensorsFile.ReadHeader(path, out _, out _safetensorsDataStart);
                var (prefix, chosen) = SafeTensorsSelector(entries, selection.SubDictionary, path);
                SubDictionary = chosen;
                raw = entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal))
                    .Select(e => (e.Name[prefix.Length..], (TensorRef?)null, (SafeTensorsFile.Entry?)e, SafeTensorsFile.ToScalarType(e.DType, e.Name), e.Shape))
                    .ToList();
                if (entries.Count > 0)
                {
                    _mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                    _view = _mmf.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                }
            }
        }
        catch
        {
            DisposeHandles();
            throw;
        }

        _items = new Dictionary<string, Item>(StringComparer.Ordinal);
        _infos = new List<CheckpointTensorInfo>(raw.Count);
        foreach (var r in raw)
        {
            var name = selection.NormalizeKeys ? CheckpointKeyNames.Normalize(r.Source) : r.Source;
            var info = new CheckpointTensorInfo(name, r.Source, r.DType, r.Shape);
            if (_items.TryGetValue(name, out var clash))
            {
                DisposeHandles();
                throw new InvalidDataException($"{path}: keys '{clash.Info.SourceName}' and '{r.Source}' both map to '{name}' after prefix stripping.");
            }
            _items[name] = new Item(info, r.Torch, r.Safe);
            _infos.Add(info);
        }
    }

    public string Path { get; }
    public CheckpointFormat Format { get; }
    public CheckpointSelection Selection { get; }

    /// <summary>The sub-dictionary that was loaded (null when the file is a plain state dict).</summary>
    public string? SubDictionary { get; }

    public IReadOnlyList<CheckpointTensorInfo> Tensors => _infos;

    public bool Contains(string name) => _items.ContainsKey(name);

    public CheckpointTensorInfo Info(string name) => Get(name).Info;

    /// <summary>Reads one tensor into new CPU memory, contiguous, converted to the selection's dtype if it is floating point.</summary>
    public torch.Tensor Read(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var item = Get(name);
        var t = item.Torch != null ? ReadTorch(item.Torch) : SafeTensorsFile.ReadTensor(_view!, _safetensorsDataStart, item.Safe!);
        if (Selection.DType is { } dt && t.is_floating_point() && t.dtype != dt)
        {
            var c = t.to(dt);
            t.Dispose();
            t = c;
        }
        return t;
    }

    /// <summary>Reads every selected tensor (name after normalisation -> tensor).</summary>
    public Dictionary<string, torch.Tensor> ReadAll()
    {
        var result = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in _infos) result[info.Name] = Read(info.Name);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    private Item Get(string name) => _items.TryGetValue(name, out var item)
        ? item
        : throw new KeyNotFoundException($"{Path}: no tensor '{name}'{(SubDictionary != null ? $" in '{SubDictionary}'" : "")}.");

    /// <summary>Materialises a view as PyTorch would (as_strided on the storage, then contiguous); storages are freed after their last view.</summary>
    private torch.Tensor ReadTorch(TensorRef r)
    {
        var key = r.Storage.Key;
        if (!_storageCache.TryGetValue(key, out var storage))
        {
            storage = _zip!.ReadStorage(r.Storage);
            _storageCache[key] = storage;
        }
        int pending = _storagePending.GetValueOrDefault(key) - 1;
        _storagePending[key] = pending;
        bool last = pending <= 0;
        try
        {
            bool whole = r.StorageOffset == 0 && r.ElementCount == r.Storage.ElementCount && IsContiguous(r.Shape, r.Strides);
            if (whole && last) return storage.view(r.Shape); // sole user: hand over the memory instead of copying
            using var view = storage.as_strided(r.Shape, r.Strides, r.StorageOffset);
            return view.is_contiguous() ? view.clone() : view.contiguous();
        }
        finally
        {
            if (last)
            {
                storage.Dispose();
                _storageCache.Remove(key);
            }
        }
    }

    private static bool IsContiguous(long[] shape, long[] strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    private static (string Prefix, string? Chosen) SafeTensorsSelector(IReadOnlyList<SafeTensorsFile.Entry> entries, string? sub, string path)
    {
        if (sub != null)
        {
            var prefix = sub.Replace('/', '.') + ".";
            if (!entries.Any(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)))
                throw new InvalidDataException($"{path}: has no sub-dictionary '{sub}' (no key starts with '{prefix}').");
            return (prefix, sub);
        }
        var preferred = CheckpointSelection.PreferredSubDictionary + ".";
        return entries.Any(e => e.Name.StartsWith(preferred, StringComparison.Ordinal))
            ? (preferred, CheckpointSelection.PreferredSubDictionary)
            : ("", null);
    }

    private void DisposeHandles()
    {
        foreach (var t in _storageCache.Values) t.Dispose();
        _storageCache.Clear();
        _view?.Dispose();
        _mmf?.Dispose();
        _zip?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeHandles();
    }
}
