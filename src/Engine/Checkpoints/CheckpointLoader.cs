using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Opens safetensors and torch.save (.pt/.pth zip) checkpoints, telling them apart by content rather than by
/// extension. See docs/checkpoints-and-text.md.
/// </summary>
public static class CheckpointLoader
{
    private static readonly byte[] LegacyTorchMagic = { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

    public static CheckpointFormat DetectFormat(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file '{path}' does not exist.", path);
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var fs = File.OpenRead(path)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (n == 0) throw new InvalidDataException($"{path}: the file is empty.");
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && (head[2] == 3 || head[2] == 5)) return CheckpointFormat.PyTorchZip;
        if (head.StartsWith(LegacyTorchMagic))
            throw new InvalidDataException($"{path}: written by torch.save before PyTorch 1.6 (legacy format). Re-save it with a newer PyTorch or convert it to safetensors.");
        if (n >= 9 && head[8] == (byte)'{') return CheckpointFormat.SafeTensors;
        throw new InvalidDataException($"{path}: neither a safetensors file nor a torch.save zip archive (truncated or not a checkpoint?).");
    }

    /// <summary>Opens the file and resolves the selected tensors without reading their data.</summary>
    public static CheckpointFile Open(string path, CheckpointSelection? selection = null)
        => new(path, DetectFormat(path), selection ?? CheckpointSelection.Default);

    /// <summary>Reads the whole selected state dict into CPU memory.</summary>
    public static Dictionary<string, torch.Tensor> LoadStateDict(string path, CheckpointSelection? selection = null)
    {
        using var file = Open(path, selection);
        return file.ReadAll();
    }
}
