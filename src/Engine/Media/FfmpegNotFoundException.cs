namespace HiStream.Engine.Media;

/// <summary>ffmpeg or ffprobe is not installed or not where it was said to be.</summary>
public sealed class FfmpegNotFoundException : Exception
{
    public FfmpegNotFoundException(string message) : base(message) { }
}

/// <summary>ffmpeg or ffprobe ran but failed; the message carries its own error output.</summary>
public sealed class FfmpegException : Exception
{
    public FfmpegException(string message, Exception? inner = null) : base(message, inner) { }
}
