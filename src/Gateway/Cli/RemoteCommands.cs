using System.CommandLine;
using System.Text;
using HiStream.Abstractions.Jobs;
using Spectre.Console;

namespace HiStream.Gateway.Cli;

/// <summary><c>submit</c>, <c>status</c>, <c>watch</c>, <c>cancel</c>, <c>retry</c>, <c>results</c>: talk to a running
/// gateway (<c>--gateway</c>, env <c>HISTREAM_GATEWAY</c>, default http://localhost:8080).</summary>
public static class RemoteCommands
{
    internal static Option<Uri> GatewayOption() => new("--gateway", "-g")
    {
        Description = "Gateway URL",
        DefaultValueFactory = _ => new Uri(Environment.GetEnvironmentVariable("HISTREAM_GATEWAY") ?? "http://localhost:8080"),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
            result.AddError($"--gateway: '{text}' is not an http(s) URL.");
            return null;
        },
    };

    internal static Option<string?> ApiKeyOption() => new("--api-key", "-k")
    {
        Description = "API key of your tenant (env HISTREAM_API_KEY)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HISTREAM_API_KEY"),
    };

    internal static Argument<string> JobArgument() => new("job") { Description = "Job id" };

    public static IEnumerable<Command> Create()
    {
        yield return Submit();
        yield return Status();
        yield return Watch();
        yield return Cancel();
        yield return Retry();
        yield return Results();
        foreach (var command in JobControlCommands.Create(GatewayOption, ApiKeyOption, JobArgument, GuardAsync)) yield return command;
    }

    private static Command Submit()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var prompts = new Option<FileInfo>("--prompts", "-p") { Description = "Prompt file: one prompt per line, or JSON lines", Required = true };
        var job = new Option<string?>("--job") { Description = "Job id (default: derived from the content)" };
        var priority = new Option<int>("--priority") { Description = "Higher runs first (-1000..1000)" };
        var tags = new Option<string[]>("--tag") { Description = "Tag (repeatable)", AllowMultipleArgumentsPerToken = false };
        var size = new Option<string?>("--size") { Description = "Default size WIDTHxHEIGHT" };
        var frames = new Option<int?>("--frames") { Description = "Default pixel frames (1 + 4k)" };
        var sampler = new Option<string?>("--sampler") { Description = "Default sampler" };
        var container = new Option<string?>("--container") { Description = "Output container" };
        var prefix = new Option<string?>("--prefix") { Description = "Output blob prefix" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Show progress until the job finishes" };
        var deadline = new Option<DateTimeOffset?>("--deadline") { Description = "Items not started by then fail (ISO 8601 time)" };
        var command = new Command("submit", "Submit a prompt file to a gateway") { gateway, apiKey, prompts, job, priority, tags, size, frames, sampler, container, prefix, watch, deadline };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            var query = new Dictionary<string, string?>
            {
                ["jobId"] = parse.GetValue(job), ["priority"] = parse.GetValue(priority).ToString(), ["size"] = parse.GetValue(size),
                ["frames"] = parse.GetValue(frames)?.ToString(), ["sampler"] = parse.GetValue(sampler), ["container"] = parse.GetValue(container), ["prefix"] = parse.GetValue(prefix),
                ["deadline"] = parse.GetValue(deadline)?.ToString("O"),
            }.ToList();
            // The endpoint binds a repeated key (tag=a&tag=b) to its array.
            query.AddRange((parse.GetValue(tags) ?? []).Select(t => new KeyValuePair<string, string?>("tag", t)));
            await using var file = parse.GetValue(prompts)!.OpenRead();
            var response = await client.UploadAsync(file, query, ct);
            AnsiConsole.MarkupLine($"Job [bold]{Markup.Escape(response.JobId)}[/]: {response.Outcome} ({response.Status.Total} videos)");
            if (!parse.GetValue(watch)) return 0;
            var final = await ProgressView.ShowAsync(client.EventsAsync(response.JobId, ct), ct);
            ProgressView.PrintStatus(final);
            return final.State == JobState.Completed ? 0 : 1;
        }));
        return command;
    }

    private static Command Status()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var job = JobArgument();
        var command = new Command("status", "Show a job's status") { gateway, apiKey, job };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            ProgressView.PrintStatus(await client.StatusAsync(parse.GetValue(job)!, ct));
            return 0;
        }));
        return command;
    }

    private static Command Watch()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var job = JobArgument();
        var command = new Command("watch", "Show a job's progress until it finishes") { gateway, apiKey, job };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            var final = await ProgressView.ShowAsync(client.EventsAsync(parse.GetValue(job)!, ct), ct);
            ProgressView.PrintStatus(final);
            return final.State == JobState.Completed ? 0 : 1;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var job = JobArgument();
        var video = new Option<string?>("--video") { Description = "Cancel only this video of the job" };
        var command = new Command("cancel", "Cancel a job, or one video of it") { gateway, apiKey, job, video };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            if (parse.GetValue(video) is { } v)
            {
                var status = await client.CancelVideoAsync(parse.GetValue(job)!, v, ct);
                AnsiConsole.WriteLine(status.GetRawText());
            }
            else ProgressView.PrintStatus(await client.CancelAsync(parse.GetValue(job)!, ct));
            return 0;
        }));
        return command;
    }

    private static Command Retry()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var job = JobArgument();
        var command = new Command("retry", "Queue a job's failed videos again") { gateway, apiKey, job };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            var r = await client.RetryAsync(parse.GetValue(job)!, ct);
            AnsiConsole.MarkupLine($"{r.Requeued} videos queued again");
            return 0;
        }));
        return command;
    }

    private static Command Results()
    {
        var gateway = GatewayOption();
        var apiKey = ApiKeyOption();
        var job = JobArgument();
        var download = new Option<DirectoryInfo?>("--download", "-d") { Description = "Download the finished videos into DIR/<video>/ (resumable: complete files are skipped, partial ones continue)" };
        var all = new Option<bool>("--all") { Description = "With --download: every stored file (chunk latents, segments), not just video, preview and metadata" };
        var failed = new Option<bool>("--failed") { Description = "List the failed videos and their errors instead" };
        var command = new Command("results", "List a job's finished videos and their URLs, or download them") { gateway, apiKey, job, download, all, failed };
        command.SetAction(async (parse, ct) => await GuardAsync(async () =>
        {
            using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
            var jobId = parse.GetValue(job)!;
            if (parse.GetValue(failed)) return await JobControlCommands.PrintFailuresAsync(client, jobId, ct);
            if (parse.GetValue(download) is { } folder)
                return await ResultDownloader.DownloadAsync(client, jobId, folder.FullName, parse.GetValue(all), ct);
            int skip = 0;
            while (true)
            {
                var page = await client.ResultsAsync(jobId, skip, 500, ct);
                var sb = new StringBuilder();
                foreach (var item in page.Items) sb.AppendLine($"{item.VideoId}\t{item.Video?.ToString() ?? "-"}\t{item.Preview}\t{item.Metadata}");
                Console.Write(sb.ToString());
                if (page.NextSkip is not { } next) return 0;
                skip = next;
            }
        }));
        return command;
    }

    internal static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (GatewayException ex)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return ex.Status == 404 ? 3 : 2;
        }
        catch (HttpRequestException ex)
        {
            AnsiConsole.MarkupLine($"[red]Gateway unreachable: {Markup.Escape(ex.Message)}[/]");
            return 4;
        }
    }
}
