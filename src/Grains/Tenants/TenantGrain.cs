using HiStream.Abstractions.Tenants;
using HiStream.Grains.Hosting;

namespace HiStream.Grains.Tenants;

/// <summary>One small state per tenant: its job ids and which of them may still hold queued or rendering items.</summary>
public sealed class TenantGrain([PersistentState("tenant", FarmStorage.Name)] IPersistentState<TenantGrainState> state) : Grain, ITenantGrain
{
    private TenantGrainState S => state.State;

    public async Task AddJobAsync(string jobId)
    {
        bool added = S.Active.Add(jobId);
        if (!S.Jobs.Contains(jobId)) S.Jobs.Add(jobId);
        else if (!added) return;
        await state.WriteStateAsync();
    }

    public Task<string[]> GetJobsAsync(int skip, int take)
    {
        var page = Enumerable.Range(0, S.Jobs.Count).Select(i => S.Jobs[S.Jobs.Count - 1 - i]).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 1000));
        return Task.FromResult(page.ToArray());
    }

    public Task<int> GetJobCountAsync() => Task.FromResult(S.Jobs.Count);

    public Task<string[]> GetActiveJobsAsync() => Task.FromResult(S.Active.ToArray());

    public async Task MarkFinishedAsync(string[] jobIds)
    {
        int removed = jobIds.Count(S.Active.Remove);
        if (removed > 0) await state.WriteStateAsync();
    }
}
