using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Rendering;
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

    public JobSubmitter(IBlobStore blobs, IGrainFactory grains, IOptions<GatewayLimits> limits, IOptions<FarmOptions> farm, TimeProvider time)
    {
        _blobs = blobs;
        _grains = grains;
        _limits = limits.Value;
        _farm = farm.Value;
        _validator = new ItemValidator(_limits);
        _time = time;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex JobIdPattern();

    [GeneratedRegex("^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex PrefixPattern();

    public static JobOptions OptionsOf(JobSubmission s) =>
        new(s.JobId, s.Priority, s.Tags ?? [], s.Output?.Container, s.Output?.Prefix, s.Defaults ?? new ItemSpec()) { Webhook = s.Webhook };

    public async Task<SubmitResult> SubmitAsync(JobOptions options, IAsyncEnumerable<ManifestEntry> entries, CancellationToken cancellationToken)
    {
        var (container, prefix) = CheckJobOptions(options);
        var manifestPrefix = $"manifests/{Guid.NewGuid():N}";
        var written = new List<string>();
        try
        {
            var (count, hash, footprint) = await WritePagesAsync(options, entries, container, prefix, manifestPrefix, written, cancellationToken);
            var jobId = options.JobId ?? $"job-{hash[..12]}";
            var definition = new JobDefinition(jobId, options.Priority, options.Tags.ToArray(), new OutputLocation(container, prefix),
                new ManifestLocation(_farm.JobsContainer, manifestPrefix, _limits.ManifestPageSize, count), hash, footprint!, _time.GetUtcNow())
            { Webhook = options.Webhook };
            var result = await _grains.GetGrain<IJobGrain>(jobId).SubmitAsync(definition);
            if (result.Outcome != SubmitOutcome.Accepted) await DeleteAsync(written); // the existing job keeps its own manifest
            return result;
        }
        catch
        {
            await DeleteAsync(written);
            throw;
        }
    }

    private (string Container, string Prefix) CheckJobOptions(JobOptions o)
    {
        var errors = new Dictionary<string, string[]>();
        if (o.JobId is not null && !JobIdPattern().IsMatch(o.JobId))
            errors["jobId"] = [$"'{o.JobId}' is not a valid job id (1-63 lower-case letters, digits or '-', starting with a letter or digit)."];
        if (o.Priority is < -1000 or > 1000) errors["priority"] = [$"{o.Priority} is outside -1000..1000."];
        if (o.Tags.Count > _limits.MaxTags) errors["tags"] = [$"{o.Tags.Count} tags; the limit is {_limits.MaxTags}."];
        else if (o.Tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Length > 64) is { } bad)
            errors["tags"] = [$"'{bad}' is empty or longer than 64 characters."];
        var container = o.Container ?? _farm.ResultsContainer;
        if (!ContainerPattern().IsMatch(container))
            errors["output.container"] = [$"'{container}' is not a valid container name (3-63 lower-case letters, digits and single '-')."];
        var prefix = (o.Prefix ?? "").Trim('/');
        if (prefix.Length > 0 && (!PrefixPattern().IsMatch(prefix) || prefix.Split('/').Any(p => p is "." or "..") || prefix.Length > 512))
            errors["output.prefix"] = [$"'{prefix}' is not a valid prefix (path segments of letters, digits, '.', '_', '-')."];
        if (o.Webhook is { } hook && WebhookUrl.Problem(hook) is { } problem) errors["webhook"] = [problem];
        if (errors.Count > 0) throw new SubmissionException(errors, string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")));
        return (container, prefix);
    }

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

        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            if (count >= _limits.MaxItems)
            {
                errors.Add(new("items", $"more than {_limits.MaxItems} items."));
                break;
            }
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
        return (count, Convert.ToHexStringLower(hash.GetHashAndReset()), footprint);

        async Task FlushAsync()
        {
            var data = ManifestReader.WritePage(page);
            hash.AppendData(data.ToMemory().Span);
            var name = $"{manifestPrefix}/{written.Count:D6}.jsonl";
            written.Add(name);
            await _blobs.PutAsync(_farm.JobsContainer, name, data, "application/x-ndjson", cancellationToken);
            page.Clear();
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
