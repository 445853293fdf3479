using System.Globalization;
using System.Text.Json;
using TorchSharp;

namespace HiStream.Engine.Media;

/// <param name="FrameCount">Frames actually decoded by ffprobe (not the container's claim).</param>
public sealed record VideoStreamInfo(int Width, int Height, double FramesPerSecond, long FrameCount, string Codec, string PixelFormat, string FormatName);

/// <summary>Reads back what was written: stream facts through ffprobe, pixels through ffmpeg.</summary>
public static class MediaProbe
{
    public static VideoStreamInfo Probe(string path, FfmpegTools? tools = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        tools ??= FfmpegTools.Locate();
        var json = FfmpegTools.Run(tools.FfprobePath,
        [
            "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", "stream=codec_name,width,height,r_frame_rate,nb_read_frames,pix_fmt:format=format_name",
            "-of", "json", path,
        ]);
        using var doc = JsonDocument.Parse(json);
        var streams = doc.RootElement.GetProperty("streams");
        if (streams.GetArrayLength() == 0) throw new InvalidDataException($"'{path}' has no video stream.");
        var s = streams[0];
        string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";
        var rate = Str(s, "r_frame_rate").Split('/');
        double fps = rate.Length == 2 && double.TryParse(rate[0], CultureInfo.InvariantCulture, out var num) && double.TryParse(rate[1], CultureInfo.InvariantCulture, out var den) && den != 0
            ? num / den : 0;
        long frames = long.TryParse(Str(s, "nb_read_frames"), CultureInfo.InvariantCulture, out var f) ? f : 0;
        return new VideoStreamInfo(s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(), fps, frames,
            Str(s, "codec_name"), Str(s, "pix_fmt"), Str(doc.RootElement.GetProperty("format"), "format_name"));
    }

    /// <summary>Decodes every frame of a video or image to uint8 RGB [N, H, W, 3].</summary>
    public static torch.Tensor ReadRgbFrames(string path, FfmpegTools? tools = null)
    {
        tools ??= FfmpegTools.Locate();
        var info = Probe(path, tools);
        var bytes = FfmpegTools.RunBinary(tools.FfmpegPath,
            ["-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        long frameBytes = 3L * info.Width * info.Height;
        if (bytes.Length % frameBytes != 0)
            throw new InvalidDataException($"'{path}' decoded to {bytes.Length} bytes, not a whole number of {info.Width}x{info.Height} RGB frames.");
        return torch.tensor(bytes, dtype: torch.ScalarType.Byte).reshape(bytes.Length / frameBytes, info.Height, info.Width, 3);
    }
}
