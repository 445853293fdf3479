using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Results;

/// <summary>A job's contact sheet, <c>&lt;prefix&gt;/&lt;job&gt;/contact-sheet.png</c>: every finished video's middle
/// frame (its <c>preview.png</c>), in item order, tiled by ffmpeg (scale, pad, tile). The videos come from the
/// results manifest, not from a blob listing; at most <see cref="FarmOptions.ContactSheetMaxVideos"/> tiles.</summary>
public sealed class JobContactSheet
{
    public const string FileName = "contact-sheet.png";
    private const int TileWidth = 256;
    private const int Gap = 4;
    private readonly IBlobStore _blobs;
    private readonly FarmOptions _options;

    public JobContactSheet(IBlobStore blobs, IOptions<FarmOptions> options)
    {
        _blobs = blobs;
        _options = options.Value;
    }

    /// <summary>Builds and stores the sheet; returns its blob name, or null when the job has no finished video.
    /// A job that completed nothing new keeps the sheet it has.</summary>
    public async Task<string?> BuildAsync(JobDefinition definition, JobStatus status, CancellationToken cancellationToken)
    {
        var output = definition.Output;
        var name = $"{output.JobFolder(definition.JobId)}/{FileName}";
        if (status.Completed == 0 && await _blobs.ExistsAsync(output.Container, name, cancellationToken)) return name;
        var records = (await ResultsManifest.ReadAsync(_blobs, output, definition.JobId, definition.Manifest.ItemCount, cancellationToken))
            .OrderBy(r => r.Index).Take(Math.Max(1, _options.ContactSheetMaxVideos)).ToList();
        if (records.Count == 0) return null;

        var dir = Directory.CreateTempSubdirectory("histream-sheet-").FullName;
        try
        {
            int n = 0;
            foreach (var r in records)
            {
                if (r.Files?.Preview is not { Length: > 0 } preview) continue; // a line written by hand or by an older farm
                var png = await _blobs.TryReadAsync(output.Container, $"{output.JobFolder(definition.JobId)}/{preview}", cancellationToken);
                if (png is null) continue;
                await File.WriteAllBytesAsync(Path.Combine(dir, $"{n++:D6}.png"), png.ToMemory(), cancellationToken);
            }
            if (n == 0) return null;
            int cols = (int)Math.Ceiling(Math.Sqrt(n)), rows = (n + cols - 1) / cols;
            int tileHeight = Math.Max(2, (int)Math.Round(TileWidth * (double)records[0].Height / records[0].Width / 2) * 2);
            var sheet = Path.Combine(dir, "sheet.png");
            await RunFfmpegAsync(["-y", "-loglevel", "error", "-framerate", "1", "-start_number", "0", "-i", Path.Combine(dir, "%06d.png"),
                "-vf", $"scale={TileWidth}:{tileHeight}:force_original_aspect_ratio=decrease,pad={TileWidth}:{tileHeight}:(ow-iw)/2:(oh-ih)/2:color=0x101010,"
                       + $"tile={cols}x{rows}:margin={Gap}:padding={Gap}:color=0x101010",
                "-frames:v", "1", "-update", "1", sheet], cancellationToken);
            await _blobs.PutFileAsync(output.Container, name, sheet, "image/png", cancellationToken);
            return name;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task RunFfmpegAsync(string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_options.Ffmpeg) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_options.Ffmpeg}.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed to tile the contact sheet ({process.ExitCode}): {await stderr}");
    }
}
