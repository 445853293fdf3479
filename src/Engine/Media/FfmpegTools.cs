using System.Diagnostics;
using System.Text;

namespace HiStream.Engine.Media;

/// <summary>
/// Where ffmpeg and ffprobe are: explicit paths, else <c>HISTREAM_FFMPEG</c> / <c>HISTREAM_FFPROBE</c>, else the PATH.
/// </summary>
public sealed class FfmpegTools
{
    public const string FfmpegVariable = "HISTREAM_FFMPEG";
    public const string FfprobeVariable = "HISTREAM_FFPROBE";
    private const string InstallHint = "Install it with 'apt-get install ffmpeg' (Debian/Ubuntu; ffprobe comes with it)";

    private FfmpegTools(string ffmpeg, string? ffprobe)
    {
        FfmpegPath = ffmpeg;
        _ffprobePath = ffprobe;
    }

    private readonly string? _ffprobePath;

    public string FfmpegPath { get; }

    public string FfprobePath => _ffprobePath ?? throw new FfmpegNotFoundException(
        $"ffprobe was not found next to {FfmpegPath} or on PATH. {InstallHint}, or set {FfprobeVariable} to its path.");

    /// <summary>Finds the tools; throws <see cref="FfmpegNotFoundException"/> with install instructions when ffmpeg is missing.</summary>
    public static FfmpegTools Locate(string? ffmpegPath = null, string? ffprobePath = null)
    {
        ffmpegPath ??= Environment.GetEnvironmentVariable(FfmpegVariable);
        ffprobePath ??= Environment.GetEnvironmentVariable(FfprobeVariable);
        string ffmpeg;
        if (!string.IsNullOrWhiteSpace(ffmpegPath))
        {
            if (!File.Exists(ffmpegPath))
                throw new FfmpegNotFoundException($"ffmpeg was configured at '{ffmpegPath}', but no file is there. {InstallHint}, or fix the path.");
            ffmpeg = ffmpegPath;
        }
        else
        {
            ffmpeg = FindOnPath("ffmpeg") ?? throw new FfmpegNotFoundException(
                $"ffmpeg was not found on PATH; it is needed to write MP4 and PNG files. {InstallHint}, or set {FfmpegVariable} to its path.");
        }
        string? ffprobe = !string.IsNullOrWhiteSpace(ffprobePath) && File.Exists(ffprobePath) ? ffprobePath
            : File.Exists(Path.Combine(Path.GetDirectoryName(ffmpeg) ?? "", "ffprobe")) ? Path.Combine(Path.GetDirectoryName(ffmpeg) ?? "", "ffprobe")
            : FindOnPath("ffprobe");
        return new FfmpegTools(ffmpeg, ffprobe);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    internal static Process Start(string exe, IEnumerable<string> arguments, bool redirectStdin, bool redirectStdout)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = redirectStdout,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        try
        {
            return Process.Start(psi) ?? throw new FfmpegException($"Could not start {exe}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FfmpegNotFoundException($"Could not run {exe}: {e.Message}. {InstallHint}.");
        }
    }

    /// <summary>Runs a tool to completion, feeding <paramref name="stdin"/>; returns stdout; throws with stderr on failure.</summary>
    internal static string Run(string exe, IEnumerable<string> arguments, ReadOnlySpan<byte> stdin = default, bool hasStdin = false)
    {
        using var p = Start(exe, arguments, redirectStdin: hasStdin, redirectStdout: true);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        if (hasStdin)
        {
            try
            {
                p.StandardInput.BaseStream.Write(stdin);
                p.StandardInput.BaseStream.Close();
            }
            catch (IOException)
            {
                // The tool exited early; its exit code and stderr below say why.
            }
        }
        string stdout = stdoutTask.GetAwaiter().GetResult();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new FfmpegException($"{Path.GetFileName(exe)} failed (exit {p.ExitCode}): {Tail(stderr)}");
        return stdout;
    }

    /// <summary>Runs a tool to completion and returns its stdout as bytes; throws with stderr on failure.</summary>
    internal static byte[] RunBinary(string exe, IEnumerable<string> arguments)
    {
        using var p = Start(exe, arguments, redirectStdin: false, redirectStdout: true);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new FfmpegException($"{Path.GetFileName(exe)} failed (exit {p.ExitCode}): {Tail(stderr)}");
        return ms.ToArray();
    }

    internal static string Tail(StringBuilder sb)
    {
        lock (sb)
        {
            var s = sb.ToString().Trim();
            return s.Length <= 2000 ? s : "…" + s[^2000..];
        }
    }
}
