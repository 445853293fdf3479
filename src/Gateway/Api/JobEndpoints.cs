using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Api;

/// <summary>The REST API. Bad input is a 400 with a problem-details body whose <c>errors</c> name the fields; an
/// unknown job or video is a 404.</summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/jobs").WithTags("Jobs");

        jobs.MapPost("/", SubmitAsync)
            .WithSummary("Submit a job: prompts inline (items) or a JSONL manifest already in blob storage (manifest)")
            .Produces<SubmitResponse>(StatusCodes.Status202Accepted).Produces<SubmitResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        jobs.MapPost("/upload", UploadAsync)
            .WithSummary("Submit a job from an uploaded manifest (request body or multipart file): JSON lines, or one prompt per line")
            .Accepts<string>("application/x-ndjson", "text/plain", "multipart/form-data")
            .Produces<SubmitResponse>(StatusCodes.Status202Accepted).Produces<SubmitResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .DisableAntiforgery();

        jobs.MapGet("/{jobId}", async (string jobId, IGrainFactory grains) =>
            await StatusAsync(grains, jobId) is { } status ? Results.Ok(status) : UnknownJob(jobId))
            .WithSummary("Job status: counts per outcome, progress and ETA").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/events", async (string jobId, HttpContext http, IGrainFactory grains, [FromQuery] long? after, CancellationToken cancellationToken) =>
        {
            if (await StatusAsync(grains, jobId) is null) return UnknownJob(jobId);
            long from = after ?? (long.TryParse(http.Request.Headers["Last-Event-ID"], out var last) ? last : 0);
            await ProgressStream.WriteAsync(http, grains.GetGrain<IJobGrain>(jobId), from, cancellationToken);
            return Results.Empty;
        }).WithSummary("Server-sent events of chunk progress until the job finishes").Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/cancel", async (string jobId, IGrainFactory grains) =>
            await StatusAsync(grains, jobId) is null ? UnknownJob(jobId) : Results.Ok(await grains.GetGrain<IJobGrain>(jobId).CancelAsync()))
            .WithSummary("Cancel a job: queued items are dropped, rendering videos stop within one chunk").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/retry", async (string jobId, IGrainFactory grains) =>
            await StatusAsync(grains, jobId) is null ? UnknownJob(jobId) : Results.Ok(new RetryResponse(jobId, await grains.GetGrain<IJobGrain>(jobId).RetryFailedAsync())))
            .WithSummary("Queue the failed items of a job again (they resume from their last stored chunk)").Produces<RetryResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/failed", async (string jobId, IGrainFactory grains, [FromQuery] int? skip, [FromQuery] int? take) =>
            await StatusAsync(grains, jobId) is null ? UnknownJob(jobId)
                : Results.Ok(await grains.GetGrain<IJobGrain>(jobId).GetFailedItemsAsync(Math.Max(0, skip ?? 0), Math.Clamp(take ?? 100, 1, 1000))))
            .WithSummary("Indices of failed items").Produces<int[]>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/results", async (string jobId, IGrainFactory grains, ResultLister lister, [FromQuery] int? skip, [FromQuery] int? take, CancellationToken cancellationToken) =>
        {
            if (await StatusAsync(grains, jobId) is not { Output: { } output }) return UnknownJob(jobId);
            return Results.Ok(await lister.ListAsync(jobId, output, Math.Max(0, skip ?? 0), Math.Clamp(take ?? 100, 1, 1000), cancellationToken));
        }).WithSummary("Finished videos with the URLs of their files").Produces<ResultsPage>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/videos/{videoId}", async (string jobId, string videoId, IGrainFactory grains, IBlobStore blobs) =>
        {
            if (await StatusAsync(grains, jobId) is not { Output: { } output }) return UnknownJob(jobId);
            var status = await grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(jobId, videoId)).GetStatusAsync();
            if (status.State == VideoState.Pending && status.ItemIndex < 0 && !await blobs.ExistsAsync(output.Container, $"{output.VideoFolder(jobId, videoId)}/{VideoOutputs.MetadataFile}") && !IsDefaultId(jobId, videoId))
                return Results.Problem($"Job '{jobId}' has no started video '{videoId}' (a queued video with a user-supplied id is only known once it starts).", statusCode: 404, title: "Unknown video");
            return Results.Ok(new VideoResponse(status, Files(blobs, output, jobId, videoId, status)));
        }).WithSummary("Video status: chunks done, silo, ETA, and file URLs once finished").Produces<VideoResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/videos/{videoId}/cancel", async (string jobId, string videoId, IGrainFactory grains) =>
            await StatusAsync(grains, jobId) is null ? UnknownJob(jobId)
                : Results.Ok(await grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(jobId, videoId)).CancelAsync()))
            .WithSummary("Cancel one video: it stops within one chunk and frees its slot").Produces<VideoStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/queue", (IGrainFactory grains) => grains.GetGrain<IWorkQueueGrain>(IWorkQueueGrain.DefaultKey).GetSnapshotAsync())
            .WithTags("Queue").WithSummary("Queued and leased items, by priority").Produces<QueueSnapshot>();
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpRequest request, JobSubmitter submitter, IBlobStore blobs, CancellationToken cancellationToken)
    {
        JobSubmission? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JobSubmission>(request.Body, FarmJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Refused(SubmissionException.One(ex.Path is { Length: > 0 } path ? path.TrimStart('$', '.') : "body", $"is not valid: {ex.Message}"));
        }
        if (body is null) return Refused(SubmissionException.One("body", "is empty."));
        if ((body.Items is null) == (body.Manifest is null))
            return Refused(SubmissionException.One("items", "give either items (prompts inline) or manifest (a JSONL blob), not both or neither."));
        if (body.Items is not null) return await RunAsync(() => submitter.SubmitAsync(JobSubmitter.OptionsOf(body), ManifestSources.Inline(body.Items), cancellationToken));

        var m = body.Manifest!;
        if (string.IsNullOrWhiteSpace(m.Container) || string.IsNullOrWhiteSpace(m.Name))
            return Refused(SubmissionException.One("manifest", "needs container and name."));
        var stream = await blobs.TryOpenReadAsync(m.Container, m.Name, cancellationToken);
        if (stream is null) return Refused(SubmissionException.One("manifest", $"blob {m.Container}/{m.Name} does not exist."));
        await using (stream)
            return await RunAsync(() => submitter.SubmitAsync(JobSubmitter.OptionsOf(body), ManifestSources.Lines(stream, cancellationToken), cancellationToken));
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, JobSubmitter submitter, [FromQuery] string? jobId, [FromQuery] int? priority,
        [FromQuery] string[]? tag, [FromQuery] string? container, [FromQuery] string? prefix, [FromQuery] string? size, [FromQuery] int? frames,
        [FromQuery] string? sampler, [FromQuery] long? seed, [FromQuery] string? webhook, CancellationToken cancellationToken)
    {
        var defaults = new ItemSpec { Size = size, Frames = frames, Sampler = sampler, Seed = seed };
        var options = new JobOptions(jobId, priority ?? 0, tag ?? [], container, prefix, defaults) { Webhook = webhook };
        Stream body = request.Body;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            if (form.Files.Count == 0) return Refused(SubmissionException.One("manifest", "the form has no file."));
            body = form.Files[0].OpenReadStream();
        }
        await using (body)
            return await RunAsync(() => submitter.SubmitAsync(options, ManifestSources.Lines(body, cancellationToken), cancellationToken));
    }

    private static async Task<IResult> RunAsync(Func<Task<SubmitResult>> submit)
    {
        SubmitResult result;
        try
        {
            result = await submit();
        }
        catch (SubmissionException ex)
        {
            return Refused(ex);
        }
        var id = result.Status.JobId;
        var links = new JobLinks($"/jobs/{id}", $"/jobs/{id}/events", $"/jobs/{id}/results", $"/jobs/{id}/cancel");
        var response = new SubmitResponse(id, result.Outcome, result.Status, links);
        return result.Outcome switch
        {
            SubmitOutcome.Accepted => Results.Accepted(links.Self, response),
            SubmitOutcome.AlreadySubmitted => Results.Ok(response),
            _ => Results.Problem($"Job '{id}' exists with a different manifest; choose another job id.", statusCode: 409, title: "Job id in use",
                extensions: new Dictionary<string, object?> { ["jobId"] = id }),
        };
    }

    private static IResult Refused(SubmissionException ex) =>
        Results.ValidationProblem(ex.Errors.ToDictionary(e => e.Key, e => e.Value), ex.Message, title: "The job was refused; nothing was queued");

    private static IResult UnknownJob(string jobId) =>
        Results.Problem($"No job '{jobId}' was submitted.", statusCode: 404, title: "Unknown job", extensions: new Dictionary<string, object?> { ["jobId"] = jobId });

    private static async Task<JobStatus?> StatusAsync(IGrainFactory grains, string jobId)
    {
        if (string.IsNullOrWhiteSpace(jobId) || jobId.Length > 63) return null;
        var status = await grains.GetGrain<IJobGrain>(jobId).GetStatusAsync();
        return status.State == JobState.Unknown ? null : status;
    }

    private static bool IsDefaultId(string jobId, string videoId)
    {
        int dash = videoId.IndexOf('-');
        return dash > 0 && int.TryParse(videoId[..dash], out var index) && VideoKey.DefaultVideoId(jobId, index) == videoId;
    }

    private static VideoFiles? Files(IBlobStore blobs, OutputLocation output, string jobId, string videoId, VideoStatus status)
    {
        if (status.State != VideoState.Completed) return null;
        var folder = output.VideoFolder(jobId, videoId);
        return new VideoFiles(blobs.GetUri(output.Container, $"{folder}/{VideoOutputs.MetadataFile}"),
            status.Skipped || status.ChunksDone > 0 ? blobs.GetUri(output.Container, $"{folder}/{VideoOutputs.VideoFile}") : null,
            blobs.GetUri(output.Container, $"{folder}/{VideoOutputs.PreviewFile}"),
            blobs.GetUri(output.Container, folder + "/"));
    }
}
