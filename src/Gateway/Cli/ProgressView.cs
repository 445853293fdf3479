using HiStream.Abstractions.Jobs;
using Spectre.Console;

namespace HiStream.Gateway.Cli;

/// <summary>Shows a job's progress: a bar for the job and one per rendering video (Spectre.Console), or plain log
/// lines when the output is not a terminal. Returns the final status.</summary>
public static class ProgressView
{
    public static async Task<JobStatus> ShowAsync(IAsyncEnumerable<ProgressBatch> batches, CancellationToken cancellationToken)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return await PlainAsync(batches, cancellationToken);
        JobStatus? last = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? job = null;
                var videos = new Dictionary<int, ProgressTask>();
                await foreach (var batch in batches.WithCancellation(cancellationToken))
                {
                    var s = batch.Status;
                    job ??= ctx.AddTask($"job {Markup.Escape(s.JobId)} ({s.Total} videos)", maxValue: 100);
                    foreach (var e in batch.Events)
                    {
                        if (e.ItemIndex < 0) continue;
                        if (!videos.TryGetValue(e.ItemIndex, out var task))
                        {
                            if (e.Kind is not (ProgressKind.Started or ProgressKind.Chunk)) continue;
                            task = ctx.AddTask($"  {Markup.Escape(e.VideoId ?? e.ItemIndex.ToString())}", maxValue: Math.Max(1, e.ChunksTotal));
                            videos[e.ItemIndex] = task;
                        }
                        if (e.ChunksTotal > 0) task.MaxValue = e.ChunksTotal;
                        task.Value = e.ChunksDone;
                        if (e.Kind is ProgressKind.Completed or ProgressKind.Skipped)
                        {
                            task.Value = task.MaxValue;
                            task.Description = $"  {Markup.Escape(e.VideoId ?? "")} [green]{e.Kind.ToString().ToLowerInvariant()}[/]";
                            task.StopTask();
                        }
                        else if (e.Kind is ProgressKind.Failed or ProgressKind.Cancelled)
                        {
                            task.Description = $"  {Markup.Escape(e.VideoId ?? "")} [red]{e.Kind.ToString().ToLowerInvariant()}[/] {Markup.Escape(e.Message ?? "")}";
                            task.StopTask();
                        }
                    }
                    job.Value = s.Progress * 100;
                    job.Description = $"job {Markup.Escape(s.JobId)}: {s.Completed + s.Skipped}/{s.Total} done, {s.Rendering} rendering, {s.Failed} failed";
                    last = s;
                    if (s.IsFinished)
                    {
                        job.Value = 100;
                        job.StopTask();
                    }
                }
            });
        return last ?? throw new InvalidOperationException("The progress stream ended before any status arrived.");
    }

    private static async Task<JobStatus> PlainAsync(IAsyncEnumerable<ProgressBatch> batches, CancellationToken cancellationToken)
    {
        JobStatus? last = null;
        await foreach (var batch in batches.WithCancellation(cancellationToken))
        {
            foreach (var e in batch.Events)
            {
                var what = e.Kind switch
                {
                    ProgressKind.Chunk => $"chunk {e.ChunksDone}/{e.ChunksTotal} ({e.ChunkSeconds:F1} s)",
                    ProgressKind.JobFinished => $"job finished: {e.Message}",
                    _ => e.Kind.ToString().ToLowerInvariant() + (e.Message is null ? "" : $": {e.Message}"),
                };
                Console.WriteLine($"{e.At:HH:mm:ss} {(e.VideoId ?? e.JobId)} {what}{(e.Silo is null ? "" : $" [{e.Silo}]")}");
            }
            last = batch.Status;
        }
        return last ?? throw new InvalidOperationException("The progress stream ended before any status arrived.");
    }

    public static void PrintStatus(JobStatus s)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Not a terminal (a pipe, a file, CI): a table would wrap into unreadable columns. One plain line per field.
            Console.Write(PlainSummary(s));
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("job", "state", "total", "rendering", "completed", "skipped", "failed", "cancelled", "progress", "eta");
        table.AddRow(Markup.Escape(s.JobId), s.State.ToString(), s.Total.ToString(), s.Rendering.ToString(), s.Completed.ToString(), s.Skipped.ToString(),
            s.Failed.ToString(), s.Cancelled.ToString(), $"{s.Progress:P0}", s.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss") : "-");
        AnsiConsole.Write(table);
    }

    public static string PlainSummary(JobStatus s)
    {
        var text = new System.Text.StringBuilder();
        void Line(string name, object value) => text.Append(name.PadRight(11)).Append(value).Append('\n');
        Line("job", s.JobId);
        Line("state", s.State);
        Line("total", s.Total);
        Line("rendering", s.Rendering);
        Line("completed", s.Completed);
        Line("skipped", s.Skipped);
        Line("failed", s.Failed);
        Line("cancelled", s.Cancelled);
        Line("progress", $"{s.Progress * 100:F0} %");
        Line("eta", s.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss") : "-");
        Line("gpuSeconds", s.GpuSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();
    }
}
