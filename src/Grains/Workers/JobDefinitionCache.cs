using HiStream.Abstractions.Jobs;

namespace HiStream.Grains.Workers;

/// <summary>Job definitions this silo has started videos for, so a job's items do not each ask its job grain.
/// Definitions never change after submit; the cache is bounded and simply cleared when full.</summary>
public sealed class JobDefinitionCache
{
    private const int Capacity = 256;

    private readonly IGrainFactory _grains;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);

    public JobDefinitionCache(IGrainFactory grains) => _grains = grains;

    /// <summary>The job's definition, or null when the job is unknown.</summary>
    public async Task<JobDefinition?> GetAsync(string jobId)
    {
        lock (_lock)
            if (_jobs.TryGetValue(jobId, out var cached)) return cached;
        var job = await _grains.GetGrain<IJobGrain>(jobId).GetDefinitionAsync();
        if (job is null) return null;
        lock (_lock)
        {
            if (_jobs.Count >= Capacity) _jobs.Clear();
            _jobs[jobId] = job;
        }
        return job;
    }
}
