using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Tenants;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Security;

/// <summary>How many more items a tenant may submit now: its unfinished jobs' queued and rendering videos, counted
/// from their job grains (finished jobs are dropped from the tenant's active list as they are seen).</summary>
public sealed class TenantQuotaChecker(IGrainFactory grains, IOptions<GatewayQuotas> quotas)
{
    public async Task<ItemBudget?> BudgetAsync(Caller caller)
    {
        if (caller.Tenant is null) return null; // admins without a tenant, anonymous development gateways
        var tenant = grains.GetGrain<ITenantGrain>(caller.Tenant);
        var active = await tenant.GetActiveJobsAsync();
        var statuses = await Task.WhenAll(active.Select(id => grains.GetGrain<IJobGrain>(id).GetStatusAsync()));
        var finished = statuses.Where(s => s.IsFinished || s.State == JobState.Unknown).Select(s => s.JobId).ToArray();
        if (finished.Length > 0) await tenant.MarkFinishedAsync(finished);
        long queued = statuses.Where(s => !s.IsFinished).Sum(s => (long)s.Queued);
        long inFlight = queued + statuses.Where(s => !s.IsFinished).Sum(s => (long)s.Rendering);
        var q = quotas.Value;
        long byQueue = q.MaxQueuedItems - queued, byFlight = q.MaxVideosInFlight - inFlight;
        return byQueue <= byFlight
            ? new ItemBudget(Math.Max(0, byQueue), "Gateway:Quotas:MaxQueuedItems", q.MaxQueuedItems, queued)
            : new ItemBudget(Math.Max(0, byFlight), "Gateway:Quotas:MaxVideosInFlight", q.MaxVideosInFlight, inFlight);
    }
}

/// <summary>Items a submission may still add, and the quota that sets it.</summary>
public sealed record ItemBudget(long Remaining, string Limit, long Quota, long InUse)
{
    public QuotaExceededException Exceeded() =>
        new(Limit, Quota, $"The tenant has {InUse} videos counted against {Limit} = {Quota}; this job would exceed it. Wait for jobs to finish or cancel some.");
}
