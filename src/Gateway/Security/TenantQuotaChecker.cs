using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Tenants;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Security;

/// <summary>How many more items a tenant may submit now: its unfinished jobs' queued and rendering videos, counted
/// from their job grains (finished jobs are dropped from the tenant's active list as they are seen). The count is taken
/// in the tenant's submit turn (<see cref="ITenantGrain.TryEnterSubmitAsync"/>), held until the submission has
/// recorded its job, so two parallel submissions cannot both spend the same room.</summary>
public sealed class TenantQuotaChecker(IGrainFactory grains, IOptions<GatewayQuotas> quotas, TimeProvider time)
{
    /// <summary>Waits for the caller's tenant's submit turn and counts its budget; null for callers without a tenant.
    /// Dispose the turn when the submission has ended.</summary>
    /// <exception cref="QuotaExceededException">The turn did not come within <c>Gateway:Quotas:SubmitWait</c>.</exception>
    public async Task<SubmitTurn?> EnterAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Tenant is null) return null; // admins without a tenant, anonymous development gateways
        var q = quotas.Value;
        var tenant = grains.GetGrain<ITenantGrain>(caller.Tenant);
        var ticket = Guid.NewGuid().ToString("N");
        var hold = q.SubmitHold > TimeSpan.Zero ? q.SubmitHold : TimeSpan.FromSeconds(30);
        var giveUp = time.GetUtcNow() + q.SubmitWait;
        var pause = TimeSpan.FromMilliseconds(20);
        while (!await tenant.TryEnterSubmitAsync(ticket, hold))
        {
            if (time.GetUtcNow() >= giveUp)
                throw new QuotaExceededException("Gateway:Quotas:SubmitWait", (long)q.SubmitWait.TotalSeconds,
                    $"Another submission of this tenant has held its turn for over {q.SubmitWait.TotalSeconds:F0} s (submissions of one tenant take turns so each counts its quota); try again.");
            await Task.Delay(pause, time, cancellationToken);
            pause = TimeSpan.FromMilliseconds(Math.Min(500, pause.TotalMilliseconds * 2));
        }
        var turn = new SubmitTurn(tenant, ticket, hold, time);
        try
        {
            turn.Budget = await BudgetAsync(tenant);
            return turn;
        }
        catch
        {
            await turn.DisposeAsync();
            throw;
        }
    }

    private async Task<ItemBudget> BudgetAsync(ITenantGrain tenant)
    {
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
