using HiStream.Abstractions.Jobs;
using HiStream.Gateway.Security;
using HiStream.Grains.Storage;

namespace HiStream.Gateway.Api;

/// <summary>A job the caller may see: its farm-wide key and status.</summary>
public sealed record VisibleJob(string Key, JobStatus Status);

/// <summary>Finds a job by the id a caller gives. A tenant's ids are scoped to it, and a job of another tenant is
/// reported exactly like a job that does not exist, so ids reveal nothing across tenants.</summary>
public sealed class JobAccess(IGrainFactory grains, CallerResolver callers)
{
    public async Task<VisibleJob?> FindAsync(HttpContext http, string jobId)
    {
        var caller = callers.Resolve(http.User);
        // Job ids name blobs (state, events, manifests): one that no store accepts belongs to no job, and is not sent to a grain.
        if (string.IsNullOrWhiteSpace(jobId) || jobId.Length > 100 || jobId.Contains('/') || BlobNames.NameError(jobId) is not null) return null;
        var key = caller.JobKey(jobId);
        var status = await grains.GetGrain<IJobGrain>(key).GetStatusAsync();
        if (status.State == JobState.Unknown && caller.IsAdmin && key != jobId)
        {
            key = jobId; // an admin with a tenant of its own can still name any job by its full id
            status = await grains.GetGrain<IJobGrain>(key).GetStatusAsync();
        }
        return status.State == JobState.Unknown || !caller.CanSee(status) ? null : new VisibleJob(key, status);
    }
}
