using System.CommandLine;
using System.Runtime.CompilerServices;
using HiStream.Abstractions.Jobs;
using HiStream.Engine.Native;
using HiStream.Gateway.Embedded;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Rendering;
using Spectre.Console;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream render --prompts FILE --out DIR</c>: starts a silo in this process and renders the prompt file
/// end to end into <c>DIR/&lt;job&gt;/&lt;video&gt;/</c>. Running it again skips the videos that are finished and resumes
/// the others from their last stored chunk.</summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var prompts = new Option<FileInfo>("--prompts", "-p") { Description = "Prompt file: one prompt per line, or JSON lines (prompt, seed, size, frames, sampler, samplerOptions, id)", Required = true };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Output folder (results go to OUT/<job>/<video>/)", Required = true };
        var job = new Option<string?>("--job") { Description = "Job id (default: derived from the prompts and settings, so a re-run continues the same job)" };
        var size = new Option<string?>("--size") { Description = "Default size WIDTHxHEIGHT, multiples of 32 for histream (default 832x480; 256x160 with the tiny random model)" };
        var frames = new Option<int?>("--frames") { Description = "Default pixel frames, 1 + 4k (default 81; 33 with the tiny random model)" };
        var sampler = new Option<string?>("--sampler") { Description = "Default sampler (histream; also self-forcing, histream-plus, wan-bidirectional)" };
        var seed = new Option<long?>("--seed") { Description = "Default seed (default: derived from each prompt and its line)" };
        var priority = new Option<int>("--priority") { Description = "Job priority (higher first)" };
        var slots = new Option<int>("--slots") { Description = "Videos rendered at once", DefaultValueFactory = _ => 1 };
        var device = new Option<string?>("--device") { Description = "cpu or cuda[:N] (default cpu)" };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default float32)" };
        var dit = new Option<string?>("--dit-weights") { Description = "Self-Forcing/Wan DiT checkpoint; without it a seeded-random tiny model renders" };
        var vae = new Option<string?>("--vae-weights") { Description = "Wan2.1 VAE checkpoint" };
        var t5 = new Option<string?>("--text-encoder-weights") { Description = "umT5-XXL encoder checkpoint" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "umT5 spiece.model" };
        var connection = new Option<string?>("--blob-connection-string") { Description = "Write to Azure Blob instead of --out (env HISTREAM_BLOB_CONNECTION_STRING)" };
        var container = new Option<string>("--container") { Description = "Blob container of the results", DefaultValueFactory = _ => "histream-results" };
        var prefix = new Option<string?>("--prefix") { Description = "Blob name prefix of the results" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log the silo's activity" };
        var libtorch = new Option<string?>(LibTorchRequest.Option) { Description = "Use this existing libtorch (a PyTorch install's torch/lib) instead of the bundled one (env HISTREAM_LIBTORCH; a build without libtorch finds python3's torch)" };

        var command = new Command("render", "Render a prompt file end to end with a silo in this process (the default way to run HiStream)")
        {
            prompts, output, job, size, frames, sampler, seed, priority, slots, device, dtype, dit, vae, t5, tokenizer, connection, container, prefix, verbose, libtorch,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(prompts)!;
            if (!file.Exists)
            {
                AnsiConsole.MarkupLine($"[red]The prompt file {Markup.Escape(file.FullName)} does not exist.[/]");
                return 2;
            }
            try
            {
                var request = parse.GetValue(libtorch) is { } dir ? new LibTorchRequest(dir, LibTorchRequest.Option) : LibTorchRequest.FromEnvironment();
                TorchNative.Initialize(request, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
            }
            catch (LibTorchLoadException e)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
                return 3;
            }
            var settings = new Dictionary<string, string?>();
            void Set(string key, string? value)
            {
                if (value is not null) settings[key] = value;
            }
            Set("Engine:Device", parse.GetValue(device));
            Set("Engine:DType", parse.GetValue(dtype));
            Set("Engine:DitWeights", parse.GetValue(dit));
            Set("Engine:VaeWeights", parse.GetValue(vae));
            Set("Engine:TextEncoderWeights", parse.GetValue(t5));
            Set("Engine:Tokenizer", parse.GetValue(tokenizer));
            foreach (var (key, value) in EnvironmentSettings()) settings.TryAdd(key, value);
            RenderDefaults.Apply(settings);
            var options = new EmbeddedFarmOptions
            {
                Out = parse.GetValue(output)!.FullName,
                BlobConnectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("HISTREAM_BLOB_CONNECTION_STRING"),
                Container = parse.GetValue(container)!,
                Slots = Math.Max(1, parse.GetValue(slots)),
                Verbose = parse.GetValue(verbose),
                Settings = settings,
            };
            var jobOptions = new JobOptions(parse.GetValue(job), parse.GetValue(priority), ["cli"], options.Container, parse.GetValue(prefix),
                new ItemSpec { Size = parse.GetValue(size), Frames = parse.GetValue(frames), Sampler = parse.GetValue(sampler), Seed = parse.GetValue(seed) });
            return await RunAsync(file, options, jobOptions, cancellationToken);
        });
        return command;
    }

    /// <summary>Engine and farm settings from the environment (e.g. <c>Engine__Device=cuda</c>), as a host would read them.</summary>
    private static IEnumerable<(string Key, string? Value)> EnvironmentSettings()
    {
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (key.StartsWith("Engine__", StringComparison.Ordinal) || key.StartsWith("Farm__", StringComparison.Ordinal) || key.StartsWith("Gateway__", StringComparison.Ordinal))
                yield return (key.Replace("__", ":"), (string?)e.Value);
        }
    }

    public static async Task<int> RunAsync(FileInfo prompts, EmbeddedFarmOptions options, JobOptions jobOptions, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine("[grey]Starting an embedded silo and loading the model...[/]");
        await using var farm = await EmbeddedFarm.StartAsync(options, cancellationToken);
        var info = await farm.Services.GetRequiredService<IRenderEngine>().LoadAsync(cancellationToken);
        AnsiConsole.MarkupLine($"Model [bold]{Markup.Escape(info.ModelId)}[/] on {info.Device}/{info.DType}{(info.RandomWeights ? " [yellow](seeded-random weights: no checkpoint given, so frames are noise-like)[/]" : "")}; decoder: {(info.HasDecoder ? "yes" : "no (latents only)")}");

        SubmitResult submitted;
        await using (var stream = prompts.OpenRead())
        {
            try
            {
                submitted = await farm.Submitter.SubmitAsync(jobOptions, ManifestSources.Lines(stream, cancellationToken), cancellationToken);
            }
            catch (SubmissionException ex)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(prompts.Name)} was refused; nothing was rendered:[/]");
                foreach (var (field, messages) in ex.Errors)
                    foreach (var message in messages)
                        AnsiConsole.MarkupLine($"  [red]{Markup.Escape(field)}[/]: {Markup.Escape(message)}");
                return 2;
            }
        }
        var jobId = submitted.Status.JobId;
        AnsiConsole.MarkupLine($"Job [bold]{Markup.Escape(jobId)}[/]: {submitted.Status.Total} videos");
        var final = await ProgressView.ShowAsync(EventsAsync(farm.Grains.GetGrain<IJobGrain>(jobId), cancellationToken), cancellationToken);
        ProgressView.PrintStatus(final);
        var where = options.BlobConnectionString is { Length: > 0 }
            ? $"container {options.Container}, {final.Output?.JobFolder(jobId)}/"
            : Path.Combine(options.Out, final.Output?.JobFolder(jobId) ?? jobId);
        AnsiConsole.MarkupLine($"Results: [bold]{Markup.Escape(where)}[/]");
        return final.State == JobState.Completed ? 0 : 1;
    }

    private static async IAsyncEnumerable<ProgressBatch> EventsAsync(IJobGrain job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long after = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await job.GetEventsAsync(after, 500, TimeSpan.FromSeconds(5));
            after = batch.LastSequence;
            yield return batch;
            if (batch.Status.IsFinished && batch.Events.Length == 0) yield break;
        }
    }
}
