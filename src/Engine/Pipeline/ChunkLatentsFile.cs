using System.Text;
using System.Text.Json;

namespace HiStream.Engine.Pipeline;

/// <summary>A chunk's latents as a one-tensor safetensors file (<c>latents</c>, F32), so a video can be resumed
/// from storage and the latents opened by any safetensors reader.</summary>
public static class ChunkLatentsFile
{
    public const string TensorName = "latents";

    public static byte[] Write(long[] shape, ReadOnlySpan<float> data, IReadOnlyDictionary<string, string>? metadata = null)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {count} values, got {data.Length}.");
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        header[TensorName] = new { dtype = "F32", shape, data_offsets = new[] { 0L, count * 4 } };
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8; // keep the data 8-byte aligned, as the reference writer does
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        headerBytes.AsSpan(json.Length).Fill((byte)' ');
        var result = new byte[8 + headerBytes.Length + count * 4];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), (long)headerBytes.Length);
        headerBytes.CopyTo(result, 8);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).CopyTo(result.AsSpan(8 + headerBytes.Length));
        return result;
    }

    public static (long[] Shape, float[] Data) Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8) throw new InvalidDataException("Not a safetensors file (shorter than 8 bytes).");
        long headerLength = BitConverter.ToInt64(file[..8]);
        if (headerLength <= 0 || 8 + headerLength > file.Length) throw new InvalidDataException($"Not a safetensors file (header length {headerLength}).");
        using var doc = JsonDocument.Parse(file.Slice(8, (int)headerLength).ToArray());
        if (!doc.RootElement.TryGetProperty(TensorName, out var entry)) throw new InvalidDataException($"No '{TensorName}' tensor in the file.");
        if (entry.GetProperty("dtype").GetString() != "F32") throw new InvalidDataException("Chunk latents must be F32.");
        var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long start = 8 + headerLength + offsets[0];
        if (offsets[1] - offsets[0] != count * 4 || start + count * 4 > file.Length) throw new InvalidDataException("Chunk latents: data does not match the shape.");
        var data = new float[count];
        file.Slice((int)start, (int)(count * 4)).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return (shape, data);
    }
}
