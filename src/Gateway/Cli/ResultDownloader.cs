using System.Net;
using System.Runtime.CompilerServices;
using HiStream.Gateway.Api;
using HiStream.Grains.Storage;
using Spectre.Console;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream results JOB --download DIR</c>: every finished video's files into <c>DIR/&lt;video&gt;/</c>.
/// A file is written to <c>NAME.part</c> and renamed when complete, so a complete file is skipped next time and a
/// partial one continues with a Range request. A progress bar on a terminal, one line per file otherwise.</summary>
public static class ResultDownloader
{
    public sealed record Item(string VideoId, string Name, Uri Url);

    public static async Task<int> DownloadAsync(GatewayClient client, string jobId, string folder, bool all, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        int fetched = 0, skipped = 0;
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            await foreach (var item in ItemsAsync(client, jobId, all, cancellationToken))
            {
                var (done, resumedAt, bytes) = await FetchAsync(client, folder, item, _ => { }, cancellationToken, FreshLink(client, jobId, item));
                if (done) fetched++;
                else skipped++;
                Console.WriteLine(done
                    ? $"{item.VideoId}/{item.Name}\t{bytes} bytes{(resumedAt > 0 ? $" (resumed at {resumedAt})" : "")}"
                    : $"{item.VideoId}/{item.Name}\tcomplete, skipped");
            }
        }
        else
        {
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                .StartAsync(async ctx =>
                {
                    await foreach (var item in ItemsAsync(client, jobId, all, cancellationToken))
                    {
                        var task = ctx.AddTask(Markup.Escape($"{item.VideoId}/{item.Name}"), autoStart: true);
                        var (done, _, _) = await FetchAsync(client, folder, item, p =>
                        {
                            task.MaxValue = Math.Max(1, p.Total);
                            task.Value = p.Done;
                        }, cancellationToken, FreshLink(client, jobId, item));
                        if (done) fetched++;
                        else skipped++;
                        task.Value = task.MaxValue;
                    }
                });
        }
        Console.WriteLine($"{fetched} files downloaded, {skipped} already complete, into {folder}");
        return 0;
    }

    public readonly record struct Progress(long Done, long Total);

    /// <summary>The files to fetch, a page of results at a time, so the links (which expire) are asked for just before
    /// they are used rather than all at the start of a long download.</summary>
    private static async IAsyncEnumerable<Item> ItemsAsync(GatewayClient client, string jobId, bool all, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int skip = 0;
        while (true)
        {
            var page = await client.ResultsAsync(jobId, skip, 100, cancellationToken);
            foreach (var result in page.Items)
            {
                if (all)
                {
                    foreach (var file in (await client.FilesAsync(jobId, result.VideoId, cancellationToken)).Files)
                        yield return new Item(result.VideoId, file.Name, file.Url);
                    continue;
                }
                yield return new Item(result.VideoId, "metadata.json", result.Metadata);
                yield return new Item(result.VideoId, "preview.png", result.Preview);
                if (result.Video is { } video) yield return new Item(result.VideoId, "video.mp4", video);
            }
            if (page.NextSkip is not { } next) yield break;
            skip = next;
        }
    }

    /// <summary>A new link for the file, from the video's file list (its old one expired).</summary>
    public static Func<CancellationToken, Task<Uri?>> FreshLink(GatewayClient client, string jobId, Item item) => async cancellationToken =>
        (await client.FilesAsync(jobId, item.VideoId, cancellationToken)).Files.FirstOrDefault(f => f.Name == item.Name)?.Url;

    /// <summary>Fetches one file; false when it was already complete. A link refused with 403 (a storage link that
    /// expired during a long download) is asked for again once through <paramref name="freshLink"/>.</summary>
    public static async Task<(bool Fetched, long ResumedAt, long Bytes)> FetchAsync(GatewayClient client, string folder, Item item, Action<Progress> progress,
        CancellationToken cancellationToken, Func<CancellationToken, Task<Uri?>>? freshLink = null)
    {
        var target = LocalPath(folder, item);
        if (File.Exists(target)) return (false, 0, new FileInfo(target).Length);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var part = target + ".part";
        long offset = File.Exists(part) ? new FileInfo(part).Length : 0;
        var response = await client.GetFileAsync(item.Url, offset, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Forbidden && freshLink is not null && await freshLink(cancellationToken) is { } renewed)
        {
            response.Dispose();
            return await FetchAsync(client, folder, item with { Url = renewed }, progress, cancellationToken);
        }
        using var _ = response;
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
        {
            File.Move(part, target); // the part already held every byte
            return (true, offset, offset);
        }
        await GatewayClient.ThrowIfFailedAsync(response, cancellationToken);
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
        if (!resumed) offset = 0; // the server sent the whole file: start over
        long total = offset + (response.Content.Headers.ContentLength ?? 0);
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var sink = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write))
        {
            var buffer = new byte[81920];
            long done = offset;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                done += read;
                progress(new Progress(done, Math.Max(total, done)));
            }
        }
        File.Move(part, target, overwrite: true);
        return (true, resumed ? offset : 0, new FileInfo(target).Length);
    }

    /// <summary>The local path of a file, refusing names from the server that would leave the download folder.</summary>
    public static string LocalPath(string folder, Item item)
    {
        if ((BlobNames.NameError(item.VideoId) ?? (item.VideoId.Contains('/') ? "it has a '/'." : null)) is { } bad)
            throw new InvalidDataException($"The gateway sent an unusable video id '{item.VideoId}': {bad}");
        if (BlobNames.NameError(item.Name) is { } badName) throw new InvalidDataException($"The gateway sent an unusable file name '{item.Name}': {badName}");
        var root = Path.GetFullPath(folder);
        var path = Path.GetFullPath(Path.Combine(root, item.VideoId, item.Name.Replace('/', Path.DirectorySeparatorChar)));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"'{item.VideoId}/{item.Name}' would be written outside {root}.");
        return path;
    }
}
