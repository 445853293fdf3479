using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Queue;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;
using HiStream.Abstractions.Tenants;
using HiStream.Gateway.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Api;

/// <summary>The REST API. Bad input is a 400 with a problem-details body whose <c>errors</c> name the fields; an
/// unknown job or video is a 404.</summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/jobs").WithTags("Jobs").RequireAuthorization(GatewayClaims.TenantPolicy);

        jobs.MapPost("/", SubmitAsync)
            .WithSummary("Submit a job: prompts inline (items) or a JSONL manifest already in blob storage (manifest)")
            .Produces<SubmitResponse>(StatusCodes.Status202Accepted).Produces<SubmitResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        jobs.MapPost("/upload", UploadAsync)
            .WithSummary("Submit a job from an uploaded manifest (request body or multipart file): JSON lines, or one prompt per line; deadline = ISO 8601 time")
            .Accepts<string>("application/x-ndjson", "text/plain", "multipart/form-data")
            .Produces<SubmitResponse>(StatusCodes.Status202Accepted).Produces<SubmitResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .DisableAntiforgery();

        jobs.MapGet("/", ListAsync)
            .WithSummary("Jobs, newest first: the caller's own; an admin's of ?tenant=, or of every tenant (tenant by tenant, each newest first)").Produces<JobList>();

        jobs.MapGet("/{jobId}", async (string jobId, HttpContext http, JobAccess access) =>
            await access.FindAsync(http, jobId) is { } job ? Results.Ok(job.Status) : UnknownJob(jobId))
            .WithSummary("Job status: counts per outcome, progress and ETA").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/events", async (string jobId, HttpContext http, JobAccess access, IGrainFactory grains, [FromQuery] long? after, CancellationToken cancellationToken) =>
        {
            if (await access.FindAsync(http, jobId) is not { } job) return UnknownJob(jobId);
            long from = after ?? (long.TryParse(http.Request.Headers["Last-Event-ID"], out var last) ? last : 0);
            await ProgressStream.WriteAsync(http, grains.GetGrain<IJobGrain>(job.Key), from, cancellationToken);
            return Results.Empty;
        }).WithSummary("Server-sent events of chunk progress until the job finishes").Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/cancel", async (string jobId, HttpContext http, JobAccess access, IGrainFactory grains) =>
            await access.FindAsync(http, jobId) is not { } job ? UnknownJob(jobId) : Results.Ok(await grains.GetGrain<IJobGrain>(job.Key).CancelAsync()))
            .WithSummary("Cancel a job: queued items are dropped, rendering videos stop within one chunk").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/retry", async (string jobId, HttpContext http, JobAccess access, IGrainFactory grains) =>
            await access.FindAsync(http, jobId) is not { } job ? UnknownJob(jobId) : Results.Ok(new RetryResponse(job.Key, await grains.GetGrain<IJobGrain>(job.Key).RetryFailedAsync())))
            .WithSummary("Queue the failed items of a job again (they resume from their last stored chunk)").Produces<RetryResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/failed", async (string jobId, HttpContext http, JobAccess access, IGrainFactory grains, [FromQuery] int? skip, [FromQuery] int? take) =>
            await access.FindAsync(http, jobId) is not { } job ? UnknownJob(jobId)
                : Results.Ok(await grains.GetGrain<IJobGrain>(job.Key).GetFailuresAsync(Math.Max(0, skip ?? 0), Math.Clamp(take ?? 100, 1, 1000))))
            .WithSummary("Items that failed for good (after their last attempt), with the error of that attempt").Produces<FailedItemsPage>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/results", async (string jobId, HttpContext http, JobAccess access, ResultLister lister, [FromQuery] int? skip, [FromQuery] int? take, CancellationToken cancellationToken) =>
        {
            if (await access.FindAsync(http, jobId) is not { Status.Output: { } output } job) return UnknownJob(jobId);
            return Results.Ok(await lister.ListAsync(http.Request, job.Key, output, Math.Max(0, skip ?? 0), Math.Clamp(take ?? 100, 1, 1000), cancellationToken));
        }).WithSummary("Finished videos with download URLs of their files (read-only SAS URLs on Azure, gateway URLs on a local store)")
            .Produces<ResultsPage>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/videos/{videoId}", async (string jobId, string videoId, HttpContext http, JobAccess access, CallerResolver callers, IGrainFactory grains, IBlobStore blobs,
            DownloadLinks links, StoredVideoStatus stored, CancellationToken cancellationToken) =>
        {
            if (BadVideoId(videoId) is { } bad) return bad;
            VisibleJob? job;
            try
            {
                job = await access.FindAsync(http, jobId).WaitAsync(StoredVideoStatus.GrainTimeout, cancellationToken);
            }
            catch (Exception ex) when (StoredVideoStatus.IsUnreachable(ex))
            {
                // The job's grain is on a silo that is down: answer from storage for a job this gateway has seen.
                var scoped = callers.Resolve(http.User).JobKey(jobId);
                return stored.Recall(scoped) is { } known
                    ? Results.Ok(new VideoResponse(await stored.ReadAsync(scoped, videoId, known, cancellationToken), null))
                    : Results.Problem($"Job '{jobId}' cannot be reached right now (its silo is being replaced); try again in a few seconds.", statusCode: 503, title: "Job unavailable");
            }
            if (job is not { Status.Output: { } output }) return UnknownJob(jobId);
            var key = job.Key;
            stored.Remember(key, output);
            VideoStatus status;
            try
            {
                status = await grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(key, videoId)).GetStatusAsync().WaitAsync(StoredVideoStatus.GrainTimeout, cancellationToken);
            }
            catch (Exception ex) when (StoredVideoStatus.IsUnreachable(ex))
            {
                status = await stored.ReadAsync(key, videoId, output, cancellationToken);
            }
            if (status.State == VideoState.Pending && status.ItemIndex < 0 && !await blobs.ExistsAsync(output.Container, $"{output.VideoFolder(key, videoId)}/{VideoOutputs.MetadataFile}", cancellationToken) && !IsDefaultId(key, videoId))
                return Results.Problem($"Job '{jobId}' has no started video '{videoId}' (a queued video with a user-supplied id is only known once it starts).", statusCode: 404, title: "Unknown video");
            return Results.Ok(new VideoResponse(status, await FilesAsync(links, http.Request, output, key, videoId, status, cancellationToken)));
        }).WithSummary("Video status: chunks done, silo, ETA, and download URLs once finished").Produces<VideoResponse>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/videos/{videoId}/files", async (string jobId, string videoId, HttpContext http, JobAccess access, IBlobStore blobs, DownloadLinks links, CancellationToken cancellationToken) =>
        {
            if (await access.FindAsync(http, jobId) is not { Status.Output: { } output } job) return UnknownJob(jobId);
            if (BadVideoId(videoId) is { } bad) return bad;
            var folder = output.VideoFolder(job.Key, videoId) + "/";
            var files = new List<VideoFile>();
            await foreach (var entry in blobs.ListAsync(output.Container, folder, cancellationToken))
            {
                var name = entry.Name[folder.Length..];
                files.Add(new VideoFile(name, entry.Size, await links.ForAsync(http.Request, output, job.Key, videoId, name, cancellationToken)));
            }
            return Results.Ok(new VideoFileList(job.Key, videoId, files));
        }).WithSummary("Every stored file of a video (chunks, segments, video, preview, metadata) with its size and download URL")
            .Produces<VideoFileList>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/videos/{videoId}/files/{**name}", DownloadAsync)
            .WithSummary("Download one file of a video: streamed with HTTP range requests (a browser can seek in the MP4); on Azure a redirect to a short-lived read-only SAS URL")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").Produces(StatusCodes.Status206PartialContent)
            .Produces(StatusCodes.Status302Found).ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/videos/{videoId}/cancel", async (string jobId, string videoId, HttpContext http, JobAccess access, IGrainFactory grains) =>
        {
            if (await access.FindAsync(http, jobId) is not { } job) return UnknownJob(jobId);
            if (BadVideoId(videoId) is { } bad) return bad;
            return Results.Ok(await grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(job.Key, videoId)).CancelAsync());
        }).WithSummary("Cancel one video: it stops within one chunk and frees its slot").Produces<VideoStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/queue", (IGrainFactory grains, IOptions<FarmOptions> farm) =>
                FarmQueue.SnapshotAsync(grains, Math.Max(1, farm.Value.QueuePartitions), farm.Value.QueueCallTimeout))
            .WithTags("Queue").WithSummary("Queued and leased items by priority, over the partitions that answered (admin role)").Produces<QueueSnapshot>()
            .RequireAuthorization(GatewayClaims.AdminPolicy);
        jobs.MapJobControlEndpoints();
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, JobSubmitter submitter, IBlobStore blobs, CallerResolver callers, TenantQuotaChecker quotas,
        InternalContainers internalContainers, IOptions<GatewayQuotas> limits, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (BodyTooLarge(http, limits.Value.MaxJsonBodyBytes, "Gateway:Quotas:MaxJsonBodyBytes") is { } tooLarge) return tooLarge;
        var caller = callers.Resolve(http.User);
        JobSubmission? body;
        try
        {
            // Read whole (it is parsed whole anyway) and within the limit, so the answer never races an unread body.
            using var buffer = await ReadLimitedAsync(request.Body, limits.Value.MaxJsonBodyBytes, cancellationToken);
            if (buffer is null) return BodyLimit(limits.Value.MaxJsonBodyBytes, "Gateway:Quotas:MaxJsonBodyBytes");
            body = await JsonSerializer.DeserializeAsync<JobSubmission>(buffer, FarmJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Refused(SubmissionException.One(ex.Path is { Length: > 0 } path ? path.TrimStart('$', '.') : "body", $"is not valid: {ex.Message}"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return BodyLimit(limits.Value.MaxJsonBodyBytes, "Gateway:Quotas:MaxJsonBodyBytes");
        }
        if (body is null) return Refused(SubmissionException.One("body", "is empty."));
        if ((body.Items is null) == (body.Manifest is null))
            return Refused(SubmissionException.One("items", "give either items (prompts inline) or manifest (a JSONL blob), not both or neither."));
        if (body.Manifest is { } m && ManifestError(m, caller, internalContainers) is { } refused) return Refused(refused);
        var (turn, waitedTooLong) = await EnterTurnAsync(quotas, caller, cancellationToken);
        if (waitedTooLong is not null) return waitedTooLong;
        await using (turn)
        {
            var options = JobSubmitter.OptionsOf(body) with { Area = caller.Area, Budget = turn?.Budget };
            if (body.Items is not null) return await RunAsync(() => submitter.SubmitAsync(options, ManifestSources.Inline(body.Items), cancellationToken));
            var manifest = body.Manifest!;
            var stream = await blobs.TryOpenReadAsync(manifest.Container!, manifest.Name!, cancellationToken);
            if (stream is null) return Refused(SubmissionException.One("manifest", $"blob {manifest.Container}/{manifest.Name} does not exist."));
            await using (stream)
                return await RunAsync(() => submitter.SubmitAsync(options, ManifestSources.Lines(stream, cancellationToken), cancellationToken));
        }
    }

    /// <summary>A manifest blob must have valid names, may not be in the farm's own containers and, for a tenant, must
    /// lie in its own area.</summary>
    private static SubmissionException? ManifestError(ManifestReference m, Caller caller, InternalContainers internalContainers)
    {
        if (BlobNames.ContainerError(m.Container) is { } containerError) return SubmissionException.One("manifest.container", containerError);
        if (BlobNames.NameError(m.Name) is { } nameError) return SubmissionException.One("manifest.name", nameError);
        if (internalContainers.Contains(m.Container!))
            return SubmissionException.One("manifest.container", $"'{m.Container}' is one of the farm's internal containers; jobs cannot read it.");
        if (caller.Area is { } area && !area.Owns(m.Container!, m.Name!))
            return SubmissionException.One("manifest.name", $"must be a blob under '{area.Prefix}/' in container '{area.Container}' (the tenant's own area).");
        return null;
    }

    private static async Task<IResult> UploadAsync(HttpContext http, JobSubmitter submitter, CallerResolver callers, TenantQuotaChecker quotas, IOptions<GatewayQuotas> limits,
        [FromQuery] string? jobId, [FromQuery] int? priority, [FromQuery] string[]? tag, [FromQuery] string? container, [FromQuery] string? prefix, [FromQuery] string? size,
        [FromQuery] int? frames, [FromQuery] string? sampler, [FromQuery] long? seed, [FromQuery] DateTimeOffset? deadline, [FromQuery] string? webhook, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (BodyTooLarge(http, limits.Value.MaxUploadBytes, "Gateway:Quotas:MaxUploadBytes") is { } tooLarge) return tooLarge;
        var caller = callers.Resolve(http.User);
        var defaults = new ItemSpec { Size = size, Frames = frames, Sampler = sampler, Seed = seed };
        var (turn, waitedTooLong) = await EnterTurnAsync(quotas, caller, cancellationToken);
        if (waitedTooLong is not null) return waitedTooLong;
        await using var turnHeld = turn;
        var options = new JobOptions(jobId, priority ?? 0, tag ?? [], container, prefix, defaults, caller.Area, turn?.Budget) { Deadline = deadline, Webhook = webhook };
        try
        {
            Stream body = new BodyLimitStream(request.Body, limits.Value.MaxUploadBytes);
            if (request.HasFormContentType)
            {
                Stream? file;
                try
                {
                    file = await MultipartManifest.FirstFileAsync(request.ContentType, body, cancellationToken);
                }
                catch (IOException ex) when (ex is not BadHttpRequestException)
                {
                    return Refused(SubmissionException.One("manifest", $"the form could not be read: {ex.Message}"));
                }
                if (file is null) return Refused(SubmissionException.One("manifest", "the form has no file."));
                body = file;
            }
            await using (body)
                return await RunAsync(() => submitter.SubmitAsync(options, ManifestSources.Lines(body, cancellationToken), cancellationToken));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return BodyLimit(limits.Value.MaxUploadBytes, "Gateway:Quotas:MaxUploadBytes");
        }
        catch (InvalidDataException ex)
        {
            return Refused(SubmissionException.One("manifest", $"the form could not be read: {ex.Message}"));
        }
    }

    private static async Task<IResult> ListAsync(HttpContext http, CallerResolver callers, JobListing listing, IGrainFactory grains, [FromQuery] string? tenant,
        [FromQuery] int? skip, [FromQuery] int? take)
    {
        var caller = callers.Resolve(http.User);
        int from = Math.Max(0, skip ?? 0), count = Math.Clamp(take ?? 100, 1, 1000);
        string[] tenants;
        if (!caller.IsAdmin) tenants = [caller.Tenant!];
        else if (tenant is not null) tenants = [tenant];
        else tenants = [.. callers.KnownTenants, ITenantGrain.NoTenant];
        var (page, nextSkip) = await listing.PageAsync(tenants, from, count);
        var statuses = await Task.WhenAll(page.Select(id => grains.GetGrain<IJobGrain>(id).GetStatusAsync()));
        return Results.Ok(new JobList(statuses.Where(caller.CanSee).ToArray(), from, nextSkip));
    }

    private static async Task<IResult> DownloadAsync(string jobId, string videoId, string name, HttpContext http, JobAccess access, IBlobStore blobs, DownloadLinks links,
        CancellationToken cancellationToken)
    {
        if (await access.FindAsync(http, jobId) is not { Status.Output: { } output } job) return UnknownJob(jobId);
        if (BadVideoId(videoId) is { } bad) return bad;
        if (BlobNames.NameError(name) is { } nameError) return Refused(SubmissionException.One("name", nameError));
        var blob = $"{output.VideoFolder(job.Key, videoId)}/{name}";
        var sas = await blobs.TryGetReadUrlAsync(output.Container, blob, links.ExpiresOn(), cancellationToken);
        if (sas is not null)
            return await blobs.ExistsAsync(output.Container, blob, cancellationToken) ? Results.Redirect(sas.ToString()) : UnknownFile(jobId, videoId, name);
        var contentType = DownloadLinks.ContentType(name);
        if (blobs is LocalFolderBlobStore local)
            return local.TryGetFilePath(output.Container, blob) is { } path
                ? Results.File(path, contentType, enableRangeProcessing: true)
                : UnknownFile(jobId, videoId, name);
        var stream = await blobs.TryOpenReadAsync(output.Container, blob, cancellationToken);
        return stream is null ? UnknownFile(jobId, videoId, name) : Results.Stream(stream, contentType, enableRangeProcessing: stream.CanSeek);
    }

    /// <summary>The body in memory, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<MemoryStream?> ReadLimitedAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await buffer.DisposeAsync();
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private static IResult? BodyTooLarge(HttpContext http, long limit, string key)
    {
        // A declared length over the limit is refused before reading, and Kestrel's own (larger) limit is left in place
        // so it can drain the unread body after the answer: closing a socket with unread bytes sends a TCP reset that
        // can destroy the 413 before the client reads it.
        if (http.Request.ContentLength > limit) return BodyLimit(limit, key);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        return null;
    }

    private static IResult BodyLimit(long limit, string key) =>
        Limits.Refuse(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The request body is larger than {limit} bytes.", key, limit);

    private static IResult? BadVideoId(string videoId)
    {
        var error = BlobNames.NameError(videoId) ?? (videoId.Contains('/') ? $"'{videoId}' is not a video id." : null);
        return error is null ? null : Refused(SubmissionException.One("videoId", error));
    }

    /// <summary>The tenant's submit turn (null for callers without a tenant), or the refusal when it did not come in time.</summary>
    private static async Task<(SubmitTurn? Turn, IResult? Refusal)> EnterTurnAsync(TenantQuotaChecker quotas, Caller caller, CancellationToken cancellationToken)
    {
        try
        {
            return (await quotas.EnterAsync(caller, cancellationToken), null);
        }
        catch (QuotaExceededException ex)
        {
            return (null, QuotaRefused(ex));
        }
    }

    private static IResult QuotaRefused(QuotaExceededException ex) =>
        Limits.Refuse(StatusCodes.Status429TooManyRequests, "Quota exceeded; nothing was queued", ex.Message, ex.Limit, ex.Value);

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
        catch (QuotaExceededException ex)
        {
            return QuotaRefused(ex);
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

    internal static IResult Refused(SubmissionException ex) =>
        Results.ValidationProblem(ex.Errors.ToDictionary(e => e.Key, e => e.Value), ex.Message, title: "The job was refused; nothing was queued");

    internal static IResult UnknownJob(string jobId) =>
        Results.Problem($"No job '{Clip(jobId)}' was submitted.", statusCode: 404, title: "Unknown job", extensions: new Dictionary<string, object?> { ["jobId"] = Clip(jobId) });

    private static IResult UnknownFile(string jobId, string videoId, string name) =>
        Results.Problem($"Video '{videoId}' of job '{jobId}' has no file '{name}'.", statusCode: 404, title: "Unknown file");

    private static string Clip(string s) => s.Length <= 100 ? s : s[..100] + "…";

    private static bool IsDefaultId(string jobId, string videoId)
    {
        int dash = videoId.IndexOf('-');
        return dash > 0 && int.TryParse(videoId[..dash], out var index) && VideoKey.DefaultVideoId(jobId, index) == videoId;
    }

    private static async Task<VideoFiles?> FilesAsync(DownloadLinks links, HttpRequest request, OutputLocation output, string jobId, string videoId, VideoStatus status,
        CancellationToken cancellationToken)
    {
        if (status.State != VideoState.Completed) return null;
        return new VideoFiles(await links.ForAsync(request, output, jobId, videoId, VideoOutputs.MetadataFile, cancellationToken),
            status.Skipped || status.ChunksDone > 0 ? await links.ForAsync(request, output, jobId, videoId, VideoOutputs.VideoFile, cancellationToken) : null,
            await links.ForAsync(request, output, jobId, videoId, VideoOutputs.PreviewFile, cancellationToken),
            links.FilesUrl(request, jobId, videoId));
    }
}
