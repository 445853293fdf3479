using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Queue;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace HiStream.Grains.Workers;

/// <summary>The start protocol for one leased item: reserve its slot, read its manifest entry, activate its video
/// grain on this silo (placement hint) and settle the lease by the video's answer. A started video settles the lease
/// itself when it ends or suspends (<see cref="RenderWorker.VideoEndedAsync"/>).</summary>
public sealed class VideoStarter
{
    private readonly IGrainFactory _grains;
    private readonly ILocalSiloDetails _silo;
    private readonly PartitionedLeaser _queue;
    private readonly RenderSlots _slots;
    private readonly JobDefinitionCache _jobs;
    private readonly ManifestReader _manifests;
    private readonly ILogger<VideoStarter> _logger;
    private readonly TimeSpan _retryAfterRunning;

    public VideoStarter(IGrainFactory grains, ILocalSiloDetails silo, PartitionedLeaser queue, RenderSlots slots, JobDefinitionCache jobs,
        ManifestReader manifests, IOptions<FarmOptions> options, ILogger<VideoStarter> logger)
    {
        _retryAfterRunning = options.Value.RetryBackoff;
        _grains = grains;
        _silo = silo;
        _queue = queue;
        _slots = slots;
        _jobs = jobs;
        _manifests = manifests;
        _logger = logger;
    }

    /// <summary>Starts the leased item, or ends its lease. Never throws: when even ending the lease fails, the lease
    /// expires at its partition, and the other leases of the same pull still start.</summary>
    public async Task StartAsync(WorkLease lease, CancellationToken stop)
    {
        try
        {
            await StartOrEndAsync(lease, stop);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Job {Job} item {Item}: lease {Lease} could not be started nor ended; it expires at its partition", lease.JobId, lease.ItemIndex, lease.LeaseId);
            _slots.Release(lease.LeaseId);
        }
    }

    private async Task StartOrEndAsync(WorkLease lease, CancellationToken stop)
    {
        _slots.Reserve(lease);
        var videoId = VideoKey.DefaultVideoId(lease.JobId, lease.ItemIndex);
        StartResult result;
        try
        {
            var job = await _jobs.GetAsync(lease.JobId, lease.Generation);
            if (job is null)
            {
                _slots.Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Done, "job unknown");
                return;
            }
            var item = await ReadItemAsync(job, lease, stop);
            if (item is null) return;
            videoId = item.VideoId;
            result = await StartOnThisSiloAsync(lease, job, item);
        }
        catch (Exception ex)
        {
            _slots.Release(lease.LeaseId);
            await EndUnstartedAsync(lease, videoId, ex, stop);
            return;
        }
        await SettleAsync(lease, result);
    }

    /// <summary>A transient fault (or the silo stopping) gives the item back with its attempt. Any other error would
    /// fail the same way again: the lease fails, which costs an attempt and backs off, and on the last attempt the item
    /// fails for good with this error (the lease's end carries the outcome, since no video reported one).</summary>
    private async Task EndUnstartedAsync(WorkLease lease, string videoId, Exception ex, CancellationToken stop)
    {
        if (FarmRetry.IsTransient(ex) || (ex is OperationCanceledException && stop.IsCancellationRequested))
        {
            _logger.LogWarning(ex, "Job {Job} item {Item}: could not start; returning it to the queue", lease.JobId, lease.ItemIndex);
            await _queue.EndAsync(lease, LeaseOutcome.Returned, ex.Message, TimeSpan.FromSeconds(1));
            return;
        }
        _logger.LogError(ex, "Job {Job} item {Item}: could not start (attempt {Attempt} of {Max})", lease.JobId, lease.ItemIndex, lease.Attempt, lease.MaxAttempts);
        var error = $"could not start: {ex.Message}";
        var report = new VideoReport(lease.ItemIndex, videoId, lease.IsLastAttempt ? ProgressKind.Failed : ProgressKind.Retrying, 0, 0, 0, _silo.Name,
            lease.IsLastAttempt ? error : $"attempt {lease.Attempt} of {lease.MaxAttempts} failed: {error}")
        {
            Attempt = lease.Attempt,
            Generation = lease.Generation,
        };
        if (!lease.IsLastAttempt) NotifyRetrying(lease.JobId, report); // before the item can be leased again
        await _queue.EndAsync(lease, LeaseOutcome.Failed, error, final: lease.IsLastAttempt ? report : null);
    }

    /// <summary>One-way, for the job's events (a retry is not counted): losing it loses nothing else.</summary>
    private void NotifyRetrying(string jobId, VideoReport report)
    {
        try
        {
            _ = _grains.GetGrain<IJobGrain>(jobId).NotifyAsync(report);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job} item {Item}: could not tell the job about the retry", jobId, report.ItemIndex);
        }
    }

    /// <summary>The item's manifest entry; null (and the item reported failed) when it cannot be read.</summary>
    private async Task<JobItem?> ReadItemAsync(JobDefinition job, WorkLease lease, CancellationToken stop)
    {
        try
        {
            return await _manifests.ReadItemAsync(job, lease.ItemIndex, stop);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or ArgumentOutOfRangeException)
        {
            _logger.LogError(ex, "Job {Job} item {Item}: manifest unreadable", lease.JobId, lease.ItemIndex);
            _slots.Release(lease.LeaseId);
            var videoId = VideoKey.DefaultVideoId(lease.JobId, lease.ItemIndex);
            // Reading it again will not help: the item fails for good.
            await _grains.GetGrain<IJobGrain>(lease.JobId).ReportAsync(new VideoReport(lease.ItemIndex, videoId, ProgressKind.Failed, 0, 0, 0, _silo.Name,
                $"manifest entry unreadable: {ex.Message}") { Attempt = lease.Attempt, Generation = lease.Generation });
            await _queue.EndAsync(lease, LeaseOutcome.Done, ex.Message);
            return null;
        }
    }

    private async Task<StartResult> StartOnThisSiloAsync(WorkLease lease, JobDefinition job, JobItem item)
    {
        var video = _grains.GetGrain<IVideoGrain>(VideoKey.GrainKey(lease.JobId, item.VideoId));
        RequestContext.Set(IPlacementDirector.PlacementHintKey, _silo.SiloAddress);
        try
        {
            return await video.StartAsync(new VideoAssignment(lease, job, item, _silo.SiloAddress.ToParsableString()));
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    private async Task SettleAsync(WorkLease lease, StartResult result)
    {
        switch (result.Outcome)
        {
            case StartOutcome.Started:
                break; // the video calls VideoEndedAsync when it stops
            case StartOutcome.AlreadyRunning:
                // Still rendering under an older lease (an older generation, or a lease that expired while its device
                // call hung; the video stops that render now): try again once it has let go.
                _slots.Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Returned, "already rendering", _retryAfterRunning);
                break;
            case StartOutcome.WrongSilo:
                _slots.Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Returned, "activation on another silo");
                break;
            default:
                _slots.Release(lease.LeaseId);
                await _queue.EndAsync(lease, LeaseOutcome.Done, null);
                break;
        }
    }
}
