using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Manifests;
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
    private readonly WorkerQueue _queue;
    private readonly RenderSlots _slots;
    private readonly JobDefinitionCache _jobs;
    private readonly ManifestReader _manifests;
    private readonly ILogger<VideoStarter> _logger;

    public VideoStarter(IGrainFactory grains, ILocalSiloDetails silo, WorkerQueue queue, RenderSlots slots, JobDefinitionCache jobs,
        ManifestReader manifests, ILogger<VideoStarter> logger)
    {
        _grains = grains;
        _silo = silo;
        _queue = queue;
        _slots = slots;
        _jobs = jobs;
        _manifests = manifests;
        _logger = logger;
    }

    public async Task StartAsync(WorkLease lease, CancellationToken stop)
    {
        _slots.Reserve(lease);
        StartResult result;
        try
        {
            var job = await _jobs.GetAsync(lease.JobId);
            if (job is null)
            {
                _slots.Release(lease.LeaseId);
                await _queue.Grain.CompleteAsync(lease.JobId, lease.ItemIndex);
                return;
            }
            var item = await ReadItemAsync(job, lease, stop);
            if (item is null) return;
            result = await StartOnThisSiloAsync(lease, job, item);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job} item {Item}: could not start; returning it to the queue", lease.JobId, lease.ItemIndex);
            _slots.Release(lease.LeaseId);
            await _queue.Grain.ReturnAsync(lease.LeaseId);
            return;
        }
        await SettleAsync(lease, result);
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
            await _grains.GetGrain<IJobGrain>(lease.JobId).ReportAsync(new VideoReport(lease.ItemIndex, videoId, ProgressKind.Failed, 0, 0, 0, _silo.Name, $"manifest entry unreadable: {ex.Message}"));
            await _queue.Grain.CompleteAsync(lease.JobId, lease.ItemIndex);
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
                break; // the video calls VideoEndedAsync or VideoSuspendedAsync
            case StartOutcome.AlreadyRunning:
                _slots.Release(lease.LeaseId); // the silo running it completes the item
                break;
            case StartOutcome.WrongSilo:
                _slots.Release(lease.LeaseId);
                await _queue.Grain.ReturnAsync(lease.LeaseId);
                break;
            default:
                _slots.Release(lease.LeaseId);
                await _queue.Grain.CompleteAsync(lease.JobId, lease.ItemIndex);
                break;
        }
    }
}
