using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Media;
using HiStream.Grains.Placement;
using HiStream.Grains.Rendering;
using HiStream.Grains.Results;
using HiStream.Grains.Storage;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;

namespace HiStream.Grains.Videos;

/// <summary>One video. It is activated on the silo that leased it and never moves: its sampler session (KV caches
/// at both resolutions, decoder cache) stays in that silo's device memory from the first chunk to the last. The
/// render runs as a background loop on the grain's scheduler that awaits the device thread for each chunk, so the
/// grain answers status and cancel calls between chunks, and no call waits for the whole render.</summary>
[Immovable, VideoPlacement]
public sealed class VideoGrain : Grain, IVideoGrain
{
    private readonly IPersistentState<VideoGrainState> _state;
    private readonly IBlobStore _blobs;
    private readonly IRenderEngine _engine;
    private readonly RenderWorker _worker;
    private readonly ILocalSiloDetails _silo;
    private readonly FarmOptions _options;
    private readonly FarmMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<VideoGrain> _logger;
    private Task? _render;
    private CancellationTokenSource? _cancel;
    private volatile bool _suspend;

    public VideoGrain([PersistentState("video", FarmStorage.Name)] IPersistentState<VideoGrainState> state, IBlobStore blobs, IRenderEngine engine,
        RenderWorker worker, ILocalSiloDetails silo, IOptions<FarmOptions> options, FarmMetrics metrics, TimeProvider time, ILogger<VideoGrain> logger)
    {
        _state = state;
        _blobs = blobs;
        _engine = engine;
        _worker = worker;
        _silo = silo;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    private VideoGrainState S => _state.State;
    private (string JobId, string VideoId) Key => VideoKey.Parse(this.GetPrimaryKeyString());

    public async Task<StartResult> StartAsync(VideoAssignment assignment)
    {
        if (_render is not null) return new StartResult(StartOutcome.AlreadyRunning, _silo.Name);
        if (assignment.RequesterSilo != _silo.SiloAddress.ToParsableString())
        {
            DeactivateOnIdle(); // activated elsewhere by a status query: let the next start place it on the leasing silo
            return new StartResult(StartOutcome.WrongSilo, _silo.Name);
        }
        var (jobId, videoId) = Key;
        var job = assignment.Job;
        var item = assignment.Item;
        var lease = assignment.Lease;
        var jobGrain = GrainFactory.GetGrain<IJobGrain>(jobId);
        if (item.VideoId != videoId || job.JobId != jobId) throw new ArgumentException($"Assignment for {job.JobId}/{item.VideoId} sent to video {jobId}/{videoId}.");

        if (S.State == VideoState.Completed) return new StartResult(StartOutcome.AlreadyFinished, null);
        if (S.State == VideoState.Cancelled)
        {
            if (!S.CancelReported)
            {
                S.CancelReported = true;
                S.ItemIndex = item.Index;
                await _state.WriteStateAsync();
                await jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Cancelled, 0, 0, 0, _silo.Name, "cancelled while queued"));
            }
            return new StartResult(StartOutcome.Cancelled, null);
        }

        var outputs = new VideoOutputs(_blobs, new FfmpegVideoEncoder(_options.Ffmpeg, _options.Fps), job.Output.Container, job.Output.VideoFolder(jobId, videoId));
        if (await outputs.IsFinishedAsync(CancellationToken.None))
        {
            outputs.Dispose();
            if (S.State == VideoState.Rendering && !S.ResultRecorded)
            {
                // This grain finished the video but stopped before recording its results line: record it now.
                var stored = await _blobs.TryReadAsync(job.Output.Container, $"{outputs.Folder}/{VideoOutputs.MetadataFile}");
                if (stored is not null && System.Text.Json.JsonSerializer.Deserialize<VideoMetadata>(stored.ToString(), Manifests.FarmJson.Options) is { } metadata)
                    await ResultsManifest.AppendAsync(_blobs, job.Output, metadata, CancellationToken.None);
                S.ResultRecorded = true;
            }
            S.State = VideoState.Completed;
            S.Skipped = true;
            S.ItemIndex = item.Index;
            S.OutputFolder = outputs.Folder;
            await _state.WriteStateAsync();
            await jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Skipped, 0, 0, 0, _silo.Name, "outputs already in storage"));
            return new StartResult(StartOutcome.AlreadyFinished, "outputs already in storage");
        }

        S.State = VideoState.Rendering;
        S.ItemIndex = item.Index;
        S.Silo = _silo.Name;
        S.Attempts++;
        S.StartedAt ??= _time.GetUtcNow();
        S.FinishedAt = null;
        S.Error = null;
        S.OutputFolder = outputs.Folder;
        await _state.WriteStateAsync();

        _cancel = new CancellationTokenSource();
        _suspend = false;
        DelayDeactivation(Timeout.InfiniteTimeSpan); // outbound calls and device work do not count as activity
        _worker.Attach(lease.LeaseId, () => _suspend = true);
        _render = RenderAsync(lease, job, item, outputs, _cancel.Token);
        return new StartResult(StartOutcome.Started, _silo.Name);
    }

    public Task<VideoStatus> GetStatusAsync()
    {
        var status = Status();
        if (_render is null) DeactivateOnIdle(); // a query must not pin an idle video to this silo
        return Task.FromResult(status);
    }

    public async Task<VideoStatus> CancelAsync()
    {
        if (_render is not null)
        {
            _cancel?.Cancel();
            return Status();
        }
        if (S.State is VideoState.Pending or VideoState.Failed or VideoState.Rendering)
        {
            // Not running here: remember it, so the queue's lease finds it cancelled and counts it for the job.
            S.State = VideoState.Cancelled;
            S.FinishedAt = _time.GetUtcNow();
            await _state.WriteStateAsync();
        }
        DeactivateOnIdle();
        return Status();
    }

    private async Task RenderAsync(WorkLease lease, JobDefinition job, Abstractions.Jobs.JobItem item, VideoOutputs outputs, CancellationToken cancel)
    {
        var (jobId, videoId) = Key;
        var jobGrain = GrainFactory.GetGrain<IJobGrain>(jobId);
        IRenderSession? session = null;
        bool suspended = false;
        string outcome = "failed";
        try
        {
            var info = await _engine.LoadAsync(cancel);
            int stored = await outputs.StoredChunksAsync(withSegments: info.HasDecoder, cancel);
            if (!await jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Started, stored, S.ChunksTotal, 0, _silo.Name, stored > 0 ? $"resuming after chunk {stored - 1}" : null)))
                _cancel!.Cancel();
            cancel.ThrowIfCancellationRequested();

            var finished = await outputs.ReadLatentsAsync(stored, cancel);
            session = await _engine.OpenAsync(item.Settings, finished, cancel);
            S.ChunksTotal = session.ChunkCount;
            S.ChunksDone = stored;
            S.Chunks.RemoveAll(c => c.Index >= stored);
            int framesSoFar = S.Chunks.Sum(c => c.Frames);

            while (true)
            {
                if (_suspend)
                {
                    suspended = true;
                    break;
                }
                cancel.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                var chunk = await session.NextAsync(cancel);
                if (chunk is null) break;
                var write = Stopwatch.StartNew();
                long before = outputs.BytesWritten;
                await outputs.WriteChunkAsync(chunk, new Dictionary<string, string>
                {
                    ["job"] = jobId, ["video"] = videoId, ["chunk"] = chunk.Index.ToString(), ["first_latent_frame"] = chunk.FirstLatentFrame.ToString(),
                    ["model_hash"] = info.ModelHash, ["seed"] = item.Settings.Seed.ToString(),
                }, cancel);
                _metrics.BytesWritten(outputs.BytesWritten - before);
                S.Chunks.Add(new ChunkRecord
                {
                    Index = chunk.Index,
                    FirstLatentFrame = chunk.FirstLatentFrame,
                    DenoiseSeconds = chunk.Denoise.TotalSeconds,
                    CacheUpdateSeconds = chunk.CacheUpdate.TotalSeconds,
                    DecodeSeconds = chunk.Decode.TotalSeconds,
                    WriteSeconds = write.Elapsed.TotalSeconds,
                    ModelPasses = chunk.ModelPasses,
                    Frames = chunk.FrameCount,
                    Silo = _silo.Name,
                    FinishedAt = _time.GetUtcNow(),
                });
                framesSoFar += chunk.FrameCount;
                S.ChunksDone = chunk.Index + 1;
                await _state.WriteStateAsync();
                _metrics.ChunkRendered(sw.Elapsed.TotalSeconds, chunk.FrameCount);
                if (!await jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Chunk, S.ChunksDone, S.ChunksTotal, sw.Elapsed.TotalSeconds, _silo.Name, null)))
                    _cancel!.Cancel();
            }

            if (suspended)
            {
                S.State = VideoState.Pending;
                await _state.WriteStateAsync();
                outcome = "suspended";
                _logger.LogInformation("Video {Job}/{Video} checkpointed after chunk {Chunk} for the silo's drain", jobId, videoId, S.ChunksDone - 1);
                return;
            }

            long beforeFinish = outputs.BytesWritten;
            var settings = item.Settings;
            var finishedAt = _time.GetUtcNow();
            double gpuSeconds = S.Chunks.Sum(c => c.DenoiseSeconds + c.CacheUpdateSeconds + c.DecodeSeconds);
            VideoMetadata? written = null;
            await outputs.FinishAsync(S.ChunksDone, info.HasDecoder, framesSoFar, settings.LatentFrames, files => written = new VideoMetadata(
                jobId, videoId, item.Index, settings.Prompt, false, settings.Seed, settings.Width, settings.Height, settings.Frames, _options.Fps,
                settings.Sampler, settings.SamplerOptions,
                new ModelMetadata(info.ModelId, info.ModelHash, info.RandomWeights, info.Device, info.DType),
                _silo.Name, S.Attempts, S.StartedAt ?? finishedAt, finishedAt,
                S.Chunks.OrderBy(c => c.Index).Select(c => new ChunkMetadata(c.Index, c.FirstLatentFrame, c.Frames, c.DenoiseSeconds, c.CacheUpdateSeconds,
                    c.DecodeSeconds, c.WriteSeconds, c.ModelPasses, c.Silo, c.FinishedAt)).ToList(),
                files, job.Priority, job.Tags,
                info.RandomWeights ? "No checkpoint configured: rendered with a seeded-random tiny model, so the frames are not meaningful pictures." : null)
            { GpuSeconds = gpuSeconds }, cancel);
            await ResultsManifest.AppendAsync(_blobs, job.Output, written!, cancel);
            S.ResultRecorded = true;
            _metrics.GpuSecondsUsed(gpuSeconds);
            _metrics.BytesWritten(outputs.BytesWritten - beforeFinish);
            S.State = VideoState.Completed;
            S.FinishedAt = finishedAt;
            await _state.WriteStateAsync();
            outcome = "completed";
            await jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Completed, S.ChunksDone, S.ChunksTotal, 0, _silo.Name, null) { GpuSeconds = gpuSeconds });
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            outcome = "cancelled";
            S.State = VideoState.Cancelled;
            S.CancelReported = true;
            S.FinishedAt = _time.GetUtcNow();
            await TryAsync(() => _state.WriteStateAsync());
            await TryAsync(() => jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Cancelled, S.ChunksDone, S.ChunksTotal, 0, _silo.Name, $"cancelled after {S.ChunksDone} chunks")));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Video {Job}/{Video} failed at chunk {Chunk}", jobId, videoId, S.ChunksDone);
            S.State = VideoState.Failed;
            S.Error = ex.Message;
            S.FinishedAt = _time.GetUtcNow();
            await TryAsync(() => _state.WriteStateAsync());
            await TryAsync(() => jobGrain.ReportAsync(new VideoReport(item.Index, videoId, ProgressKind.Failed, S.ChunksDone, S.ChunksTotal, 0, _silo.Name, ex.Message)));
        }
        finally
        {
            if (session is not null) await TryAsync(async () => await session.DisposeAsync());
            outputs.Dispose();
            _render = null;
            _cancel?.Dispose();
            _cancel = null;
            if (outcome != "suspended") _metrics.VideoEnded(outcome);
            await TryAsync(() => suspended ? _worker.VideoSuspendedAsync(lease) : _worker.VideoEndedAsync(lease));
            DelayDeactivation(TimeSpan.Zero);
            DeactivateOnIdle(); // the caches are gone; the next call may place the grain anywhere
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_render is { } render)
        {
            // Shutdown or shedding while rendering: stop at the chunk boundary; progress is already stored per chunk.
            _logger.LogWarning("Video {Key} deactivating while rendering ({Reason}); it will resume from its last stored chunk", this.GetPrimaryKeyString(), reason);
            _suspend = true;
            await render.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Current);
        }
    }

    private async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Video {Key}: {Message}", this.GetPrimaryKeyString(), ex.Message);
        }
    }

    private VideoStatus Status()
    {
        var (jobId, videoId) = Key;
        TimeSpan? eta = null;
        if (S.State == VideoState.Rendering && S.Chunks.Count > 0 && S.ChunksTotal > 0)
        {
            double perChunk = S.Chunks.Average(c => c.DenoiseSeconds + c.CacheUpdateSeconds + c.DecodeSeconds + c.WriteSeconds);
            eta = TimeSpan.FromSeconds(perChunk * (S.ChunksTotal - S.ChunksDone));
        }
        else if (S.State == VideoState.Completed) eta = TimeSpan.Zero;
        var state = S.State == VideoState.Rendering && _render is null ? VideoState.Pending : S.State; // a stale "rendering" from a silo that died
        return new VideoStatus(jobId, videoId, S.ItemIndex, state, S.ChunksDone, S.ChunksTotal, S.Silo, S.StartedAt, S.FinishedAt, eta, S.Error, S.OutputFolder, S.Skipped);
    }
}
