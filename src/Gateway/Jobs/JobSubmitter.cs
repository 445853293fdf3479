using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Rendering;
using HiStream.Abstractions.Tenants;
using HiStream.Engine.Pipeline;
using HiStream.Gateway.Security;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Jobs;

/// <summary>Validates a manifest while streaming it into pages in the jobs container, then submits the job. If any
/// item is bad, the pages written so far are deleted and nothing is queued: a refused job leaves nothing behind.</summary>
public sealed partial class JobSubmitter
{
    private readonly IBlobStore _blobs;
    private readonly IGrainFactory _grains;
    private readonly GatewayLimits _limits;
    private readonly FarmOptions _farm;
    private readonly ItemValidator _validator;
    private readonly TimeProvider _time;
    private readonly FarmRetry _submitRetry;
    private const int MaxUploadsInFlight = 4;

    private readonly InternalContainers _internal;

    /// <param name="engine">The model the silos run (section <c>Engine</c>); the tiny random model when not given.</param>
    public JobSubmitter(IBlobStore blobs, IGrainFactory grains, IOptions<GatewayLimits> limits, IOptions<FarmOptions> farm, TimeProvider time,
        InternalContainers? internalContainers = null, IOptions<PipelineOptions>? engine = null)
    {
        _internal = internalContainers ?? new InternalContainers(new HashSet<string>(StringComparer.Ordinal) { farm.Value.JobsContainer });
        _blobs = blobs;
        _grains = grains;
        _limits = limits.Value;
        _farm = farm.Value;
        _validator = new ItemValidator(_limits, _limits.Admission(engine?.Value ?? new PipelineOptions(), _farm));
        _time = time;
        _submitRetry = new FarmRetry(_farm, FarmRetry.IsTransientOrStale);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex JobIdPattern();

    [GeneratedRegex("^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex PrefixPattern();

    public static JobOptions OptionsOf(JobSubmission s) =>
        new(s.JobId, s.Priority, s.Tags ?? [], s.Output?.Container, s.Output?.Prefix, s.Defaults ?? new ItemSpec()) { Deadline = s.Deadline, Webhook = s.Webhook };

    public async Task<SubmitResult> SubmitAsync(JobOptions options, IAsyncEnumerable<ManifestEntry> entries, CancellationToken cancellationToken)
    {
        var (container, prefix) = CheckJobOptions(options);
        var manifestPrefix = $"manifests/{options.Area?.Tenant ?? ITenantGrain.NoTenant}/{Guid.NewGuid():N}";
        var written = new List<string>();
        try
        {
            var (count, hash, footprint) = await WritePagesAsync(options, entries, container, prefix, manifestPrefix, written, cancellationToken);
            // The content hash covers the output container and prefix, which for a tenant lie in its own area, so the
            // default id differs between tenants; a tenant's ids are also scoped by name ({tenant}.{id}).
            var jobId = options.JobId ?? $"job-{hash[..12]}";
            if (options.Area is { } area) jobId = area.ScopeJobId(jobId);
            var definition = new JobDefinition(jobId, options.Priority, options.Tags.ToArray(), new OutputLocation(container, prefix),
                new ManifestLocation(_farm.JobsContainer, manifestPrefix, _limits.ManifestPageSize, count), hash, footprint!, _time.GetUtcNow())
            {
                Deadline = options.Deadline,
                Tenant = options.Area?.Tenant,
                Webhook = options.Webhook,
            };
            var pages = new List<string>(written);
            written.Clear(); // from here on the job grain may refer to the pages
            var job = _grains.GetGrain<IJobGrain>(jobId);
            SubmitResult result;
            try
            {
                // Idempotent (same id and manifest: "already submitted", and the items still missing from the queue
                // are queued), so a storage brownout or a reactivating grain is retried here, not handed to the caller.
                result = await _submitRetry.ExecuteAsync(() => job.SubmitAsync(definition), cancellationToken);
            }
            catch
            {
                if (await RefersToAsync(job, manifestPrefix) == false) await DeleteAsync(pages);
                throw;
            }
            var ours = result.Outcome == SubmitOutcome.Accepted ? true : await RefersToAsync(job, manifestPrefix);
            if (ours == true) result = result with { Outcome = SubmitOutcome.Accepted }; // an earlier attempt of this same submit stored it
            else if (ours == false) await DeleteAsync(pages); // the existing job keeps its own manifest
            // Idempotent, and also for "already submitted": a job accepted by a submit whose tenant record was lost
            // gets it on the resubmit (listing and quotas read the tenant's record).
            if (result.Outcome != SubmitOutcome.Conflict)
                await _submitRetry.ExecuteAsync(() => _grains.GetGrain<ITenantGrain>(options.Area?.Tenant ?? ITenantGrain.NoTenant).AddJobAsync(jobId, result.Status.SubmittedAt), cancellationToken);
            return result;
        }
        catch
        {
            await DeleteAsync(written);
            throw;
        }
    }

    /// <summary>Whether the stored job points at these pages; null when that cannot be told, and then the pages stay
    /// (an orphan costs a few KB; a deleted page that the job needs loses its items).</summary>
    private static async Task<bool?> RefersToAsync(IJobGrain job, string manifestPrefix)
    {
        try
        {
            return (await job.GetDefinitionAsync())?.Manifest.Prefix == manifestPrefix;
        }
        catch (Exception)
        {
            return null;
        }
    }

    private (string Container, string Prefix) CheckJobOptions(JobOptions o)
    {
        var errors = new Dictionary<string, string[]>();
        if (o.JobId is not null && !JobIdPattern().IsMatch(o.Area is { } a && a.IsScoped(o.JobId) ? o.JobId[(a.Tenant.Length + 1)..] : o.JobId))
            errors["jobId"] = [$"'{Clip(o.JobId)}' is not a valid job id (1-63 lower-case letters, digits or '-', starting with a letter or digit)."];
        if (o.Priority is < -1000 or > 1000) errors["priority"] = [$"{o.Priority} is outside -1000..1000."];
        if (o.Deadline is { } deadline && deadline <= _time.GetUtcNow()) errors["deadline"] = [$"{deadline:O} has passed."];
        if (o.Tags.Count > _limits.MaxTags) errors["tags"] = [$"{o.Tags.Count} tags; the limit is {_limits.MaxTags}."];
        else if (o.Tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Length > 64) is { } bad)
            errors["tags"] = [$"'{Clip(bad)}' is empty or longer than 64 characters."];
        var container = o.Container ?? o.Area?.Container ?? _farm.ResultsContainer;
        if (!ContainerPattern().IsMatch(container))
            errors["output.container"] = [$"'{Clip(container)}' is not a valid container name (3-63 lower-case letters, digits and single '-')."];
        else if (_internal.Contains(container))
            errors["output.container"] = [$"'{container}' is one of the farm's internal containers; jobs cannot write there."];
        else if (o.Area is { } area && container != area.Container)
            errors["output.container"] = [$"'{container}' is not your container; tenant '{area.Tenant}' writes to '{area.Container}' (leave output.container out)."];
        var prefix = (o.Prefix ?? "").Trim('/');
        if (prefix.Length > 0 && (!PrefixPattern().IsMatch(prefix) || prefix.Split('/').Any(p => p is "." or "..") || prefix.Length > 512))
            errors["output.prefix"] = [$"'{Clip(prefix)}' is not a valid prefix (path segments of letters, digits, '.', '_', '-')."];
        else if (o.Area is { } tenantArea) prefix = tenantArea.OutputPrefix(prefix);
        if (o.Webhook is { } hook && WebhookUrl.Problem(hook) is { } problem) errors["webhook"] = [problem];
        if (errors.Count > 0) throw new SubmissionException(errors, string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")));
        return (container, prefix);
    }

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private async Task<(int Count, string Hash, RenderFootprint? Footprint)> WritePagesAsync(JobOptions options, IAsyncEnumerable<ManifestEntry> entries,
        string container, string prefix, string manifestPrefix, List<string> written, CancellationToken cancellationToken)
    {
        var errors = new List<KeyValuePair<string, string>>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{container}\n{prefix}\n"));
        var page = new List<JobItem>(_limits.ManifestPageSize);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        RenderFootprint? footprint = null;
        int count = 0;
        // Pages upload while the next ones are validated (a few at a time); all have landed before anything returns.
        var uploads = new List<Task>();
        try
        {
            await foreach (var entry in entries.WithCancellation(cancellationToken))
            {
                if (count >= _limits.MaxItems)
                {
                    errors.Add(new("items", $"more than {_limits.MaxItems} items (limit Gateway:Limits:MaxItems)."));
                    break;
                }
                if (options.Budget is { } budget && count >= budget.Remaining) throw budget.Exceeded();
                if (entry.ParseError is not null || entry.Item is null)
                {
                    errors.Add(new(entry.Field, entry.ParseError ?? "is empty."));
                }
                else if (_validator.Validate(entry.Item, options.Defaults, count, entry.Field, errors) is { } item)
                {
                    if (item.VideoId.Length > 0 && !ids.Add(item.VideoId))
                        errors.Add(new($"{entry.Field}.id", $"'{item.VideoId}' is used by an earlier item."));
                    else if (errors.Count == 0)
                    {
                        page.Add(item);
                        footprint = footprint is null ? RenderFootprint.Of(item.Settings) : footprint.Max(RenderFootprint.Of(item.Settings));
                    }
                }
                count++;
                if (errors.Count >= _limits.MaxErrors) break;
                if (errors.Count == 0 && page.Count == _limits.ManifestPageSize) await FlushAsync();
            }
            if (errors.Count == 0 && count == 0) errors.Add(new("items", "the job has no items."));
            if (errors.Count > 0)
            {
                var grouped = errors.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Value).ToArray());
                var first = errors[0];
                var more = errors.Count > 1 ? $" ({errors.Count - 1} more error{(errors.Count > 2 ? "s" : "")} listed)" : "";
                throw new SubmissionException(grouped, $"{first.Key}: {first.Value}{more}");
            }
            if (page.Count > 0) await FlushAsync();
            await Task.WhenAll(uploads);
            return (count, Convert.ToHexStringLower(hash.GetHashAndReset()), footprint);
        }
        catch
        {
            // Let every started upload end before the caller deletes the pages written so far.
            try
            {
                await Task.WhenAll(uploads);
            }
            catch (Exception)
            {
                // the original error is the one to report
            }
            throw;
        }

        async Task FlushAsync()
        {
            var data = ManifestReader.WritePage(page);
            hash.AppendData(data.ToMemory().Span);
            var name = $"{manifestPrefix}/{written.Count:D6}.jsonl";
            written.Add(name);
            page.Clear();
            uploads.RemoveAll(t => t.IsCompletedSuccessfully);
            if (uploads.Count >= MaxUploadsInFlight) await await Task.WhenAny(uploads);
            uploads.Add(_blobs.PutAsync(_farm.JobsContainer, name, data, "application/x-ndjson", cancellationToken));
        }
    }

    private async Task DeleteAsync(List<string> names)
    {
        foreach (var name in names)
        {
            try
            {
                await _blobs.DeleteAsync(_farm.JobsContainer, name, CancellationToken.None);
            }
            catch (Exception)
            {
                // Best effort: an orphaned page is harmless (no job refers to it).
            }
        }
    }
}
