using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Reads the safetensors format (u64 little-endian header length, JSON header, raw little-endian data).
/// The file is memory-mapped, so files larger than 2 GB load tensor by tensor.
/// </summary>
public static class SafeTensorsFile
{
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    public static IReadOnlyList<Entry> ReadHeader(string path, out IReadOnlyDictionary<string, string> metadata, out long dataStart)
    {
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.Read(lenBytes) != 8) throw new InvalidDataException($"{path}: not a safetensors file (shorter than 8 bytes).");
        long headerLen = BitConverter.ToInt64(lenBytes);
        if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > fs.Length)
            throw new InvalidDataException($"{path}: not a safetensors file (header length {headerLen}).");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        dataStart = 8 + headerLen;
        var meta = new Dictionary<string, string>();
        var entries = new List<Entry>();
        using var doc = JsonDocument.Parse(header);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var dtype = prop.Value.GetProperty("dtype").GetString() ?? throw new InvalidDataException($"{path}: tensor '{prop.Name}' has no dtype.");
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offs.Length != 2 || offs[1] < offs[0] || dataStart + offs[1] > fs.Length)
                throw new InvalidDataException($"{path}: tensor '{prop.Name}' has bad data_offsets.");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype, prop.Name);
            if (offs[1] - offs[0] != expected)
                throw new InvalidDataException($"{path}: tensor '{prop.Name}' has {offs[1] - offs[0]} bytes, its dtype and shape need {expected}.");
            entries.Add(new Entry(prop.Name, dtype, shape, offs[0], offs[1]));
        }
        metadata = meta;
        return entries;
    }

    /// <summary>Loads every tensor into CPU memory with the dtype stored in the file.</summary>
    public static Dictionary<string, torch.Tensor> Load(string path) => Load(path, out _);

    public static Dictionary<string, torch.Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var entries = ReadHeader(path, out metadata, out long dataStart);
        var result = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        if (entries.Count == 0) return result;
        using var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = mmf.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        foreach (var e in entries)
            result[e.Name] = ReadTensor(view, dataStart, e);
        return result;
    }

    internal static unsafe torch.Tensor ReadTensor(MemoryMappedViewAccessor view, long dataStart, Entry e)
    {
        var dtype = ToScalarType(e.DType, e.Name);
        var tensor = torch.empty(e.Shape, dtype);
        long bytes = e.End - e.Begin;
        if (bytes == 0) return tensor;
        byte* basePtr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            byte* src = basePtr + view.PointerOffset + dataStart + e.Begin;
            Buffer.MemoryCopy(src, (void*)TensorMemory.DataPointer(tensor), bytes, bytes);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        return tensor;
    }

    public static torch.ScalarType ToScalarType(string dtype, string name) => dtype switch
    {
        "F32" => torch.ScalarType.Float32,
        "F64" => torch.ScalarType.Float64,
        "BF16" => torch.ScalarType.BFloat16,
        "F16" => torch.ScalarType.Float16,
        "I64" => torch.ScalarType.Int64,
        "I32" => torch.ScalarType.Int32,
        "I16" => torch.ScalarType.Int16,
        "I8" => torch.ScalarType.Int8,
        "U8" => torch.ScalarType.Byte,
        "BOOL" => torch.ScalarType.Bool,
        _ => throw new InvalidDataException($"Tensor '{name}' has unsupported safetensors dtype '{dtype}'."),
    };

    public static string FromScalarType(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Float32 => "F32",
        torch.ScalarType.Float64 => "F64",
        torch.ScalarType.BFloat16 => "BF16",
        torch.ScalarType.Float16 => "F16",
        torch.ScalarType.Int64 => "I64",
        torch.ScalarType.Int32 => "I32",
        torch.ScalarType.Int16 => "I16",
        torch.ScalarType.Int8 => "I8",
        torch.ScalarType.Byte => "U8",
        torch.ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {t} cannot be written to safetensors."),
    };

    private static long ElementSize(string dtype, string name) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "BF16" or "F16" or "I16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw new InvalidDataException($"Tensor '{name}' has unsupported safetensors dtype '{dtype}'."),
    };

    /// <summary>Writes tensors (any device, contiguous copies are made on CPU) with an optional string metadata map.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var cpu = names.Select(n => tensors[n].detach().cpu().contiguous()).ToList();
        try
        {
            var header = new Dictionary<string, object>();
            if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
            long offset = 0;
            for (int i = 0; i < names.Count; i++)
            {
                long len = cpu[i].numel() * cpu[i].element_size();
                header[names[i]] = new { dtype = FromScalarType(cpu[i].dtype), shape = cpu[i].shape, data_offsets = new[] { offset, offset + len } };
                offset += len;
            }
            var json = JsonSerializer.SerializeToUtf8Bytes(header);
            int pad = (8 - json.Length % 8) % 8;
            var tmp = path + ".tmp";
            using (var fs = File.Create(tmp))
            {
                fs.Write(BitConverter.GetBytes((long)(json.Length + pad)));
                fs.Write(json);
                for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
                foreach (var t in cpu) WriteRaw(fs, t);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            foreach (var t in cpu) t.Dispose();
        }
    }

    private static unsafe void WriteRaw(Stream s, torch.Tensor t)
    {
        long len = t.numel() * t.element_size();
        byte* p = (byte*)TensorMemory.DataPointer(t);
        const int block = 1 << 24;
        for (long done = 0; done < len; done += block)
        {
            int n = (int)Math.Min(block, len - done);
            s.Write(new ReadOnlySpan<byte>(p + done, n));
        }
    }
}
