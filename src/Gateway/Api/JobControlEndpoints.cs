using HiStream.Abstractions.Jobs;
using HiStream.Gateway.Jobs;

namespace HiStream.Gateway.Api;

/// <summary>Job control: pause and resume, change the priority, set or clear a deadline. Each answers the job's status.</summary>
public static class JobControlEndpoints
{
    public static RouteGroupBuilder MapJobControlEndpoints(this RouteGroupBuilder jobs)
    {
        jobs.MapPost("/{jobId}/pause", (string jobId, HttpContext http, JobAccess access, IGrainFactory grains) => ControlAsync(http, access, grains, jobId, j => j.SetPausedAsync(true)))
            .WithSummary("Pause a job: no more of its videos start; running ones finish").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/resume", (string jobId, HttpContext http, JobAccess access, IGrainFactory grains) => ControlAsync(http, access, grains, jobId, j => j.SetPausedAsync(false)))
            .WithSummary("Resume a paused job").Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/priority", (string jobId, PriorityRequest? body, HttpContext http, JobAccess access, IGrainFactory grains) =>
        {
            if (body?.Priority is not { } priority || priority is < -1000 or > 1000)
                return Task.FromResult(JobEndpoints.Refused(SubmissionException.One("priority", "give a priority between -1000 and 1000.")));
            return ControlAsync(http, access, grains, jobId, j => j.SetPriorityAsync(priority));
        }).WithSummary("Change a job's priority (higher runs first); queued items move at once").Produces<JobStatus>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/deadline", (string jobId, DeadlineRequest? body, HttpContext http, JobAccess access, IGrainFactory grains, TimeProvider time) =>
        {
            if (body is null) return Task.FromResult(JobEndpoints.Refused(SubmissionException.One("deadline", "give a deadline (ISO 8601 time) or null to clear it.")));
            if (body.Deadline is { } deadline && deadline <= time.GetUtcNow()) // the same rule as at submit
                return Task.FromResult(JobEndpoints.Refused(SubmissionException.One("deadline", $"{deadline:O} has passed.")));
            return ControlAsync(http, access, grains, jobId, j => j.SetDeadlineAsync(body.Deadline));
        }).WithSummary("Set (or clear, with null) the time by which items must have started; the others fail").Produces<JobStatus>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return jobs;
    }

    /// <summary>Only on a job the caller may see (another tenant's job answers 404, like a missing one).</summary>
    private static async Task<IResult> ControlAsync(HttpContext http, JobAccess access, IGrainFactory grains, string jobId, Func<IJobGrain, Task<JobStatus>> change)
    {
        if (await access.FindAsync(http, jobId) is not { } job) return JobEndpoints.UnknownJob(jobId);
        return Results.Ok(await change(grains.GetGrain<IJobGrain>(job.Key)));
    }
}

public sealed record PriorityRequest(int? Priority);

public sealed record DeadlineRequest(DateTimeOffset? Deadline);
