using HiStream.Abstractions.Tenants;

namespace HiStream.Gateway.Api;

/// <summary>A page of job ids over the job lists of one or more tenants, one tenant after the other (each newest
/// first). Reads each tenant's list in the slices its grain serves, so a page can lie at any depth.</summary>
public sealed class JobListing(IGrainFactory grains)
{
    /// <summary>Up to <paramref name="take"/> ids from position <paramref name="skip"/>, and the skip of the next page
    /// (null when there is none).</summary>
    public async Task<(string[] Ids, int? NextSkip)> PageAsync(IReadOnlyList<string> tenants, int skip, int take)
    {
        var page = new List<string>(take);
        int start = Math.Max(0, skip), toSkip = start;
        foreach (var tenant in tenants)
        {
            var grain = grains.GetGrain<ITenantGrain>(tenant);
            int total = await grain.GetJobCountAsync();
            if (toSkip >= total)
            {
                toSkip -= total;
                continue;
            }
            if (page.Count == take) return ([.. page], start + page.Count); // this tenant has jobs after the full page
            int at = toSkip;
            toSkip = 0;
            while (page.Count < take && at < total)
            {
                var slice = await grain.GetJobsAsync(at, take - page.Count);
                if (slice.Length == 0) break; // the list is shorter than its count was a moment ago
                page.AddRange(slice);
                at += slice.Length;
            }
            if (page.Count == take && at < total) return ([.. page], start + page.Count);
        }
        return ([.. page], null);
    }
}
