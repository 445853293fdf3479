using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HiStream.Grains.Media;

/// <summary>MP4 through ffmpeg: each chunk's frames become one H.264 segment (so a resumed video only needs the
/// segments in storage), and the segments are joined without re-encoding at the end.</summary>
public sealed class FfmpegVideoEncoder
{
    private readonly string _ffmpeg;
    private readonly int _fps;

    public FfmpegVideoEncoder(string ffmpeg, int fps)
    {
        _ffmpeg = ffmpeg;
        _fps = fps;
    }

    public async Task EncodeSegmentAsync(byte[] rgbFrames, int frameCount, int width, int height, string outputPath, CancellationToken cancellationToken)
    {
        if (rgbFrames.Length != (long)frameCount * width * height * 3) throw new ArgumentException("Frame bytes do not match count × width × height × 3.");
        var args = new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-r", _fps.ToString(CultureInfo.InvariantCulture), "-i", "-",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart", outputPath,
        };
        await RunAsync(args, rgbFrames, cancellationToken);
    }

    public async Task ConcatAsync(IReadOnlyList<string> segments, string outputPath, CancellationToken cancellationToken)
    {
        var list = outputPath + ".txt";
        var sb = new StringBuilder();
        foreach (var s in segments) sb.Append("file '").Append(s.Replace("'", "'\\''")).Append("'\n");
        await File.WriteAllTextAsync(list, sb.ToString(), cancellationToken);
        try
        {
            await RunAsync(["-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", "-movflags", "+faststart", outputPath], null, cancellationToken);
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>One frame of a video as PNG.</summary>
    public Task ExtractFrameAsync(string videoPath, int frameIndex, string pngPath, CancellationToken cancellationToken) =>
        RunAsync(["-hide_banner", "-loglevel", "error", "-y", "-i", videoPath, "-vf", $"select=eq(n\\,{frameIndex})", "-frames:v", "1", pngPath], null, cancellationToken);

    private async Task RunAsync(string[] args, byte[]? stdin, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_ffmpeg)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_ffmpeg}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"ffmpeg was not found ('{_ffmpeg}'). Install it (scripts/setup.sh does) or set Farm:Ffmpeg.", ex);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, cancellationToken);
                process.StandardInput.Close();
            }
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            await stdout;
            if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}): {(await stderr).Trim()}");
        }
    }
}
