using System.IO.Compression;
using System.Runtime.InteropServices;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>Writes a torch.save-style zip: &lt;name&gt;/data.pkl, &lt;name&gt;/data/&lt;key&gt; and any extra records.</summary>
internal static class TorchZipBuilder
{
    public static void Write(string path, string archiveName, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages,
        IReadOnlyDictionary<string, byte[]>? extraRecords = null)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
            using var s = e.Open();
            s.Write(data);
        }
        Add($"{archiveName}/data.pkl", pickle);
        foreach (var (name, data) in extraRecords ?? new Dictionary<string, byte[]>()) Add($"{archiveName}/{name}", data);
        foreach (var (key, data) in storages) Add($"{archiveName}/data/{key}", data);
    }

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
