using HiStream.Abstractions.Tenants;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace HiStream.Grains.Tenants;

/// <summary>One small state per tenant: its newest job ids and which jobs may still hold queued or rendering items.
/// Once the state holds twice <c>Farm:TenantJobPage</c> ids, the oldest page of them moves to a blob
/// (<see cref="TenantJobPages"/>), so the state (rewritten on every change) stays bounded however many jobs a tenant
/// submits; the list pages over both.</summary>
public sealed class TenantGrain : Grain, ITenantGrain
{
    /// <summary>Submit times come from the gateway's clock, archive times from the silo's.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private readonly IPersistentState<TenantGrainState> _state;
    private readonly FarmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TenantGrain> _logger;
    private readonly TenantJobPages _pages;
    private bool _unsaved;
    /// <summary>The archived ids, read once when an old job is recorded again (a resubmit).</summary>
    private HashSet<string>? _archived;
    private (int Page, string[] Ids)? _lastPageRead;
    private (string Ticket, DateTimeOffset Until)? _submitTurn;

    public TenantGrain([PersistentState("tenant", FarmStorage.Name)] IPersistentState<TenantGrainState> state, IBlobStore blobs, IOptions<FarmOptions> options,
        TimeProvider time, ILogger<TenantGrain> logger)
    {
        _state = state;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pages = new TenantJobPages(blobs, _options.JobsContainer, this.GetPrimaryKeyString());
    }

    private TenantGrainState Tenant => _state.State;

    private int PageSize => Tenant.PageSize > 0 ? Tenant.PageSize : Math.Max(1, _options.TenantJobPage);

    public async Task AddJobAsync(string jobId, DateTimeOffset? submittedAt = null)
    {
        bool added = Tenant.Active.Add(jobId);
        if (!Tenant.Jobs.Contains(jobId) && !await IsArchivedAsync(jobId, submittedAt))
        {
            Tenant.Jobs.Add(jobId);
            added = true;
        }
        if (added || _unsaved) await WriteAsync(); // a retried call writes what the failed one could not
        if (Tenant.Jobs.Count >= 2 * PageSize) await ArchiveOldestPageAsync();
    }

    public async Task<string[]> GetJobsAsync(int skip, int take)
    {
        // A snapshot: an archive (no await between its changes) moves ids from the list into a page that never changes.
        var recent = Tenant.Jobs.ToArray();
        int size = PageSize;
        long total = (long)Tenant.ArchivedPages * size + recent.Length;
        take = Math.Clamp(take, 1, 1000);
        var page = new List<string>(take);
        for (long at = Math.Max(0, skip); at < total && page.Count < take;)
        {
            if (at < recent.Length)
            {
                page.Add(recent[recent.Length - 1 - at++]);
                continue;
            }
            long fromOldest = total - 1 - at;
            var ids = await ReadPageAsync((int)(fromOldest / size));
            for (long i = fromOldest % size; i >= 0 && page.Count < take; i--, at++) page.Add(ids[i]);
        }
        return [.. page];
    }

    public Task<int> GetJobCountAsync() => Task.FromResult(Tenant.ArchivedPages * PageSize + Tenant.Jobs.Count);

    public Task<string[]> GetActiveJobsAsync() => Task.FromResult(Tenant.Active.ToArray());

    public async Task MarkFinishedAsync(string[] jobIds)
    {
        int removed = jobIds.Count(Tenant.Active.Remove);
        if (removed > 0 || _unsaved) await WriteAsync();
    }

    /// <summary>Whether an id not in the state's list is in an archived page. A job submitted after the last archive
    /// cannot be, so a new job reads no page; a resubmitted old one reads the pages once per activation.</summary>
    private async Task<bool> IsArchivedAsync(string jobId, DateTimeOffset? submittedAt)
    {
        if (Tenant.ArchivedPages == 0 || Tenant.ArchivedAt is not { } archivedAt) return false;
        if ((submittedAt ?? _time.GetUtcNow()) > archivedAt + ClockSkew) return false;
        if (_archived is null)
        {
            var archived = new HashSet<string>(StringComparer.Ordinal);
            for (int p = 0; p < Tenant.ArchivedPages; p++) archived.UnionWith(await _pages.ReadAsync(p));
            _archived = archived;
        }
        return _archived.Contains(jobId);
    }

    /// <summary>The oldest page of ids goes to its blob, then leaves the state. If the state write fails, the next
    /// archive writes the same page again (the list only grows at its end). A failure here fails no add.</summary>
    private async Task ArchiveOldestPageAsync()
    {
        int size = PageSize;
        var ids = Tenant.Jobs.GetRange(0, size);
        try
        {
            await _pages.WriteAsync(Tenant.ArchivedPages, ids);
            Tenant.PageSize = size;
            Tenant.Jobs.RemoveRange(0, size);
            Tenant.ArchivedPages++;
            Tenant.ArchivedAt = _time.GetUtcNow();
            _archived?.UnionWith(ids);
            await WriteAsync();
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            _logger.LogWarning(ex, "Tenant {Tenant}: moving {Count} old job ids out of its state failed ({Message}); the next job tries again",
                this.GetPrimaryKeyString(), size, ex.Message);
        }
    }

    private async Task<string[]> ReadPageAsync(int page)
    {
        if (_lastPageRead is { } cached && cached.Page == page) return cached.Ids;
        var ids = await _pages.ReadAsync(page);
        _lastPageRead = (page, ids);
        return ids;
    }

    private async Task WriteAsync()
    {
        _unsaved = true;
        try
        {
            await _state.WriteStateAsync();
            _unsaved = false;
        }
        catch (InconsistentStateException)
        {
            DeactivateOnIdle(); // a lost write's answer left this activation's ETag behind: the next one reads what is stored
            throw;
        }
    }

    public Task<bool> TryEnterSubmitAsync(string ticket, TimeSpan hold)
    {
        var now = _time.GetUtcNow();
        if (_submitTurn is { } turn && turn.Ticket != ticket && turn.Until > now) return Task.FromResult(false);
        _submitTurn = (ticket, now + hold);
        return Task.FromResult(true);
    }

    public Task LeaveSubmitAsync(string ticket)
    {
        if (_submitTurn?.Ticket == ticket) _submitTurn = null;
        return Task.CompletedTask;
    }
}
