using HiStream.Abstractions.Tenants;
using HiStream.Grains.Hosting;
using Orleans.Storage;

namespace HiStream.Grains.Tenants;

/// <summary>One small state per tenant: its job ids and which of them may still hold queued or rendering items.</summary>
public sealed class TenantGrain([PersistentState("tenant", FarmStorage.Name)] IPersistentState<TenantGrainState> state) : Grain, ITenantGrain
{
    private TenantGrainState Tenant => state.State;
    private bool _unsaved;

    public async Task AddJobAsync(string jobId)
    {
        bool added = Tenant.Active.Add(jobId);
        if (!Tenant.Jobs.Contains(jobId))
        {
            Tenant.Jobs.Add(jobId);
            added = true;
        }
        if (added || _unsaved) await WriteAsync(); // a retried call writes what the failed one could not
    }

    public Task<string[]> GetJobsAsync(int skip, int take)
    {
        var page = Enumerable.Range(0, Tenant.Jobs.Count).Select(i => Tenant.Jobs[Tenant.Jobs.Count - 1 - i]).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 1000));
        return Task.FromResult(page.ToArray());
    }

    public Task<int> GetJobCountAsync() => Task.FromResult(Tenant.Jobs.Count);

    public Task<string[]> GetActiveJobsAsync() => Task.FromResult(Tenant.Active.ToArray());

    public async Task MarkFinishedAsync(string[] jobIds)
    {
        int removed = jobIds.Count(Tenant.Active.Remove);
        if (removed > 0 || _unsaved) await WriteAsync();
    }

    private async Task WriteAsync()
    {
        _unsaved = true;
        try
        {
            await state.WriteStateAsync();
            _unsaved = false;
        }
        catch (InconsistentStateException)
        {
            DeactivateOnIdle(); // a lost write's answer left this activation's ETag behind: the next one reads what is stored
            throw;
        }
    }
}
