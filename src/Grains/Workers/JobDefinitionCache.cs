using HiStream.Abstractions.Jobs;

namespace HiStream.Grains.Workers;

/// <summary>Job definitions this silo has started videos for, so a job's items do not each ask its job grain.
/// A definition changes only when a cancelled job is submitted again (a new generation: new manifest pages, maybe a new
/// priority, deadline or webhook), so entries are keyed by job and generation. Bounded; simply cleared when full.</summary>
public sealed class JobDefinitionCache
{
    private const int Capacity = 256;

    private readonly IGrainFactory _grains;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string JobId, int Generation), JobDefinition> _jobs = [];

    public JobDefinitionCache(IGrainFactory grains) => _grains = grains;

    /// <summary>The definition of the job's given generation (that of the lease), or null when the job is unknown.</summary>
    public async Task<JobDefinition?> GetAsync(string jobId, int generation)
    {
        lock (_lock)
            if (_jobs.TryGetValue((jobId, generation), out var cached)) return cached;
        var job = await _grains.GetGrain<IJobGrain>(jobId).GetDefinitionAsync();
        if (job is null) return null;
        lock (_lock)
        {
            if (_jobs.Count >= Capacity) _jobs.Clear();
            _jobs[(jobId, generation)] = job;
        }
        return job;
    }
}
