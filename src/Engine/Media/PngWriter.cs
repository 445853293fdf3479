using TorchSharp;

namespace HiStream.Engine.Media;

/// <summary>Writes one uint8 RGB frame as a PNG (lossless) through ffmpeg; the file appears only when complete.</summary>
public static class PngWriter
{
    /// <param name="frame">[H, W, 3] or [1, H, W, 3] uint8.</param>
    public static void Write(string path, torch.Tensor frame, FfmpegTools? tools = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var batch = RgbFrames.AsBatch(frame, nameof(frame));
        if (batch.shape[0] != 1) throw new ArgumentException($"A PNG holds one frame; got {batch.shape[0]}. Use WriteFrame to pick one.", nameof(frame));
        tools ??= FfmpegTools.Locate();
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = full + ".partial";
        using var stdin = new MemoryStream((int)batch.numel());
        RgbFrames.WriteTo(batch, stdin);
        try
        {
            FfmpegTools.Run(tools.FfmpegPath,
            [
                "-hide_banner", "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", $"{batch.shape[2]}x{batch.shape[1]}", "-i", "pipe:0",
                "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", tmp,
            ], stdin.GetBuffer().AsSpan(0, (int)stdin.Length), hasStdin: true);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes frame <paramref name="index"/> of [N, H, W, 3] frames (negative counts from the end).</summary>
    public static void WriteFrame(string path, torch.Tensor frames, int index, FfmpegTools? tools = null)
    {
        using var batch = RgbFrames.AsBatch(frames, nameof(frames));
        long n = batch.shape[0];
        long i = index < 0 ? n + index : index;
        if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(index), index, $"The video has {n} frames.");
        using var one = batch.narrow(0, i, 1);
        Write(path, one, tools);
    }
}
