using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;

namespace HiStream.Engine.Media;

/// <summary>
/// Writes an H.264 (yuv420p, BT.709) MP4 incrementally: frames go to ffmpeg's stdin as raw RGB as chunks arrive.
/// A plain MP4 is written to <c>&lt;path&gt;.partial</c> and moved into place by <see cref="Finish"/>, so a failed or
/// abandoned run never leaves a broken file at the path. A fragmented MP4 is written at the path itself and is
/// readable while it grows. Disposing without <see cref="Finish"/> aborts (a fragmented file keeps what was flushed).
/// </summary>
public sealed class Mp4VideoWriter : IDisposable
{
    private readonly string _path;
    private readonly string _target;
    private readonly Mp4WriterOptions _options;
    private readonly FfmpegTools _tools;
    private readonly StringBuilder _stderr = new();
    private Process? _process;
    private Stream? _stdin;
    private bool _finished;

    private Mp4VideoWriter(string path, Mp4WriterOptions options, FfmpegTools tools)
    {
        _path = Path.GetFullPath(path);
        _options = options;
        _tools = tools;
        _target = options.Fragmented ? _path : _path + ".partial";
    }

    /// <summary>Prepares a writer; ffmpeg starts with the first frames (they fix the size).</summary>
    public static Mp4VideoWriter Create(string path, Mp4WriterOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new Mp4WriterOptions();
        options.Validate();
        var tools = options.Tools ?? FfmpegTools.Locate();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return new Mp4VideoWriter(path, options, tools);
    }

    public string OutputPath => _path;
    public int Width { get; private set; }
    public int Height { get; private set; }

    /// <summary>Size in the file (even; see <see cref="EvenSizeMode"/>).</summary>
    public int OutputWidth => Even(Width);
    public int OutputHeight => Even(Height);

    public long FramesWritten { get; private set; }

    /// <summary>Appends uint8 RGB frames [N, H, W, 3] (or one [H, W, 3]); every call must have the first call's size.</summary>
    public void Append(torch.Tensor frames)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        using var batch = RgbFrames.AsBatch(frames, nameof(frames));
        int h = (int)batch.shape[1], w = (int)batch.shape[2];
        if (_process is null) Start(w, h);
        else if (w != Width || h != Height)
            throw new ArgumentException($"This video is {Width}x{Height}; frames of {w}x{h} cannot be appended.", nameof(frames));
        if (_process!.HasExited) throw Failure("ffmpeg stopped before all frames were written", null);
        try
        {
            RgbFrames.WriteTo(batch, _stdin!);
            _stdin!.Flush();
        }
        catch (IOException e)
        {
            throw Failure("ffmpeg stopped accepting frames", e);
        }
        FramesWritten += batch.shape[0];
    }

    /// <summary>Ends the stream, waits for ffmpeg and moves the file into place. Returns the path written.</summary>
    public string Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_process is null) throw new InvalidOperationException($"No frames were appended to {_path}; an MP4 needs at least one frame.");
        try
        {
            _stdin!.Close();
        }
        catch (IOException)
        {
            // ffmpeg already exited; the exit code below tells.
        }
        _process.WaitForExit();
        _process.WaitForExit(); // flushes the async stderr reader
        if (_process.ExitCode != 0) throw Failure($"ffmpeg failed (exit {_process.ExitCode})", null);
        if (!_options.Fragmented) File.Move(_target, _path, overwrite: true);
        _finished = true;
        _process.Dispose();
        _process = null;
        return _path;
    }

    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        if (_process is null) return;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _process = null;
        if (!_options.Fragmented && File.Exists(_target)) File.Delete(_target);
    }

    private int Even(int n) => n % 2 == 0 ? n : _options.OddSize == EvenSizeMode.Pad ? n + 1 : Math.Max(2, n - 1);

    private void Start(int width, int height)
    {
        if (_options.OddSize == EvenSizeMode.Crop && (width < 2 || height < 2))
            throw new ArgumentException($"Frames of {width}x{height} are too small to crop to an even size; use EvenSizeMode.Pad.");
        Width = width;
        Height = height;
        var inv = CultureInfo.InvariantCulture;
        var filters = new List<string>();
        if (OutputWidth != width || OutputHeight != height)
            filters.Add(_options.OddSize == EvenSizeMode.Pad
                ? $"pad={OutputWidth}:{OutputHeight}:0:0:black"
                : $"crop={OutputWidth}:{OutputHeight}:0:0");
        filters.Add("scale=out_color_matrix=bt709:out_range=tv");
        filters.Add("format=yuv420p");
        var args = new List<string>
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", $"{width}x{height}",
            "-framerate", _options.FramesPerSecond.ToString("R", inv), "-i", "pipe:0",
            "-vf", string.Join(",", filters),
            "-c:v", "libx264", "-preset", _options.Preset, "-crf", _options.Crf.ToString(inv),
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
        };
        if (_options.Fragmented)
        {
            string gop = Math.Max(1, (int)Math.Round(_options.FramesPerSecond)).ToString(inv);
            args.AddRange(["-g", gop, "-rc-lookahead", gop, "-flush_packets", "1", "-movflags", "+frag_keyframe+empty_moov+default_base_moof"]);
        }
        else
        {
            args.AddRange(["-movflags", "+faststart"]);
        }
        args.AddRange(["-f", "mp4", _target]);
        _process = FfmpegTools.Start(_tools.FfmpegPath, args, redirectStdin: true, redirectStdout: false);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _stdin = _process.StandardInput.BaseStream;
    }

    private FfmpegException Failure(string what, Exception? inner)
    {
        try
        {
            _process?.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        return new FfmpegException($"Writing {_path}: {what}. ffmpeg said: {FfmpegTools.Tail(_stderr)}", inner);
    }
}
