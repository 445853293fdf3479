using System.IO.Compression;
using TorchSharp;

namespace HiStream.Bench.Checkpoints;

/// <summary>
/// Razorvine.Pickle as the pickle VM, the rest written the plain way: unpickle data.pkl to descriptors, pick
/// generator_ema, then read each storage record into a tensor (TorchSharp's ReadBytesFromStream).
/// </summary>
internal static class RazorvineReader
{
    public static Dictionary<string, torch.Tensor> Load(string path)
    {
        using var file = File.OpenRead(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Read);
        var pkl = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1);
        string prefix = pkl.FullName[..^"data.pkl".Length];
        object root;
        using (var unpickler = new RazorvineTorchUnpickler())
        using (var stream = pkl.Open())
            root = unpickler.load(stream);
        return StateDictTables.TensorsOf(StateDictTables.Select(root), value => value is RazorvineTensor t ? Read(zip, prefix, t) : null);
    }

    private static torch.Tensor Read(ZipArchive zip, string prefix, RazorvineTensor t)
    {
        var entry = zip.GetEntry($"{prefix}data/{t.Storage.Key}") ?? throw new InvalidDataException($"storage {t.Storage.Key} is missing");
        var storage = torch.empty(t.Storage.ElementCount, t.Storage.DType);
        using (var s = entry.Open()) storage.ReadBytesFromStream(s);
        if (t.Offset == 0 && t.Shape.Aggregate(1L, (a, b) => a * b) == t.Storage.ElementCount) return storage.view(t.Shape);
        using (storage)
        using (var view = storage.as_strided(t.Shape, t.Stride, t.Offset))
            return view.contiguous();
    }
}
