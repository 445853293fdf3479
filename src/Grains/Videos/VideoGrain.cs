using System.Diagnostics;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Grains.Hosting;
using HiStream.Grains.Media;
using HiStream.Grains.Placement;
using HiStream.Grains.Queue;
using HiStream.Grains.Rendering;
using HiStream.Grains.Results;
using HiStream.Grains.Storage;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Storage;

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
    private readonly LeaseRenewals _leases;
    private readonly ILocalSiloDetails _silo;
    private readonly FarmOptions _options;
    private readonly FarmMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly FarmRetry _retry;
    private readonly SiloHealth _health;
    private readonly ILogger<VideoGrain> _logger;
    private Task? _render;
    private CancellationTokenSource? _cancel;
    private CancellationTokenSource? _abort;
    private volatile bool _suspend;
    private WorkLease? _lease;
    private bool _superseded;

    public VideoGrain([PersistentState("video", FarmStorage.Name)] IPersistentState<VideoGrainState> state, IBlobStore blobs, IRenderEngine engine,
        RenderWorker worker, LeaseRenewals leases, ILocalSiloDetails silo, IOptions<FarmOptions> options, FarmMetrics metrics, TimeProvider time, FarmRetry retry,
        SiloHealth health, ILogger<VideoGrain> logger)
    {
        _retry = retry;
        _health = health;
        _state = state;
        _blobs = blobs;
        _engine = engine;
        _worker = worker;
        _leases = leases;
        _silo = silo;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    private VideoGrainState Video => _state.State;
    private (string JobId, string VideoId) Key => VideoKey.Parse(this.GetPrimaryKeyString());

    public async Task<StartResult> StartAsync(VideoAssignment assignment)
    {
        try
        {
            return await StartOrAnswerAsync(assignment);
        }
        catch (InconsistentStateException ex)
        {
            // A write whose answer was lost left this activation's ETag behind the stored one: every later write would
            // fail. The next start reaches an activation that reads what is stored.
            _logger.LogWarning("Video {Key}: stored state changed under this activation ({Message}); reactivating from storage", this.GetPrimaryKeyString(), ex.Message);
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task<StartResult> StartOrAnswerAsync(VideoAssignment assignment)
    {
        if (_render is not null)
        {
            if (_lease is { } running && Supersedes(assignment.Lease, running))
            {
                // The queue handed this item out again: the running attempt lost its lease (its renewals did not reach
                // the partition in time). Stop it; the new attempt starts once it has let go.
                _logger.LogWarning("Video {Key}: attempt {New} supersedes attempt {Old}; stopping the old render", this.GetPrimaryKeyString(), assignment.Lease.Attempt, running.Attempt);
                _suspend = true;
                _superseded = true;
                _cancel?.Cancel();
            }
            return new StartResult(StartOutcome.AlreadyRunning, _silo.Name);
        }
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

        if (Video.State == VideoState.Completed)
        {
            // Finished before (a resubmitted job, or a duplicate lease): say so, the job counts each item once.
            await ReportEndAsync(jobGrain, Report(lease, item.Index, videoId, ProgressKind.Skipped, 0, 0, "finished before"));
            return new StartResult(StartOutcome.AlreadyFinished, null);
        }
        if (Video.State == VideoState.Cancelled && (Video.CancelGeneration ?? lease.Generation) >= lease.Generation)
        {
            if (!Video.CancelReported || Video.CancelGeneration is null)
            {
                Video.CancelReported = true;
                Video.CancelGeneration = lease.Generation;
                Video.ItemIndex = item.Index;
                await _state.WriteStateAsync();
            }
            await ReportEndAsync(jobGrain, Report(lease, item.Index, videoId, ProgressKind.Cancelled, Video.ChunksDone, Video.ChunksTotal, "cancelled while queued"));
            return new StartResult(StartOutcome.Cancelled, null);
        }

        var outputs = new VideoOutputs(_blobs, new FfmpegVideoEncoder(_options.Ffmpeg, _options.Fps), job.Output.Container, job.Output.VideoFolder(jobId, videoId));
        if (await outputs.IsFinishedAsync(CancellationToken.None))
        {
            outputs.Dispose();
            // Attempts > 0: an earlier attempt of this grain finished the outputs but stopped before it said so (its
            // silo died, or recording the results line or the state failed): the video counts as completed.
            bool renderedHere = Video.Attempts > 0;
            var metadata = await ReadMetadataAsync(job.Output.Container, outputs.Folder);
            // Only this grain's own unrecorded line: outputs finished under another grain's state (a second `render`
            // run on a fresh store of grain state) were recorded by that run.
            if (renderedHere && !Video.ResultRecorded && metadata is not null)
            {
                await _retry.ExecuteAsync(() => ResultsManifest.AppendAsync(_blobs, job.Output, metadata, CancellationToken.None));
                Video.ResultRecorded = true;
            }
            Video.State = VideoState.Completed;
            Video.Skipped = !renderedHere;
            Video.ItemIndex = item.Index;
            Video.OutputFolder = outputs.Folder;
            if (renderedHere)
            {
                Video.Error = null;
                Video.FinishedAt = metadata?.FinishedAt ?? _time.GetUtcNow();
            }
            await _state.WriteStateAsync();
            var report = renderedHere
                ? Report(lease, item.Index, videoId, ProgressKind.Completed, Video.ChunksTotal, Video.ChunksTotal, "finished by an earlier attempt") with { GpuSeconds = metadata?.GpuSeconds ?? 0 }
                : Report(lease, item.Index, videoId, ProgressKind.Skipped, 0, 0, "outputs already in storage");
            await ReportEndAsync(jobGrain, report);
            return new StartResult(StartOutcome.AlreadyFinished, report.Message);
        }

        Video.State = VideoState.Rendering;
        Video.ItemIndex = item.Index;
        Video.Silo = _silo.Name;
        Video.Attempts++;
        Video.StartedAt ??= _time.GetUtcNow();
        Video.FinishedAt = null;
        Video.Error = null;
        Video.OutputFolder = outputs.Folder;
        Video.CancelGeneration = lease.Generation;
        Video.CancelReported = false;
        await _state.WriteStateAsync();

        _cancel = new CancellationTokenSource();
        _abort = new CancellationTokenSource();
        _suspend = false;
        _superseded = false;
        _lease = lease;
        DelayDeactivation(Timeout.InfiniteTimeSpan); // outbound calls and device work do not count as activity
        var abort = _abort;
        _worker.Attach(lease.LeaseId, () => _suspend = true, () =>
        {
            try
            {
                abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the render already ended
            }
        });
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
        if (Video.State is VideoState.Pending or VideoState.Failed or VideoState.Rendering)
        {
            // Not running here: remember it, so the queue's lease finds it cancelled and counts it for the job.
            Video.State = VideoState.Cancelled;
            Video.CancelGeneration = null; // applies to the next start, whichever generation it belongs to
            Video.CancelReported = false;
            Video.FinishedAt = _time.GetUtcNow();
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
        bool suspended = false, deviceHung = false;
        string outcome = "failed";
        string? error = null;
        RenderFailure? failure = null;
        VideoReport? final = null; // the outcome the lease's end carries to the partition, which keeps it until the job has it
        var writes = new ChunkWriteBehind();
        var abort = _abort!.Token;
        using var device = CancellationTokenSource.CreateLinkedTokenSource(cancel, abort); // a device call stops on cancel or on the drain's deadline
        var held = _leases.Keep(lease);
        try
        {
            var info = await DeviceCallAsync("load", () => _engine.LoadAsync(cancel), cancel);
            int stored = await _retry.ExecuteAsync(ct => outputs.StoredChunksAsync(withSegments: info.HasDecoder, ct), cancel);
            if (!await ReportAsync(jobGrain, Report(lease, item.Index, videoId, ProgressKind.Started, stored, Video.ChunksTotal,
                    (stored > 0 ? $"resuming after chunk {stored - 1}" : "") + (lease.Attempt > 1 ? $" (attempt {lease.Attempt} of {lease.MaxAttempts})" : ""))))
                _cancel!.Cancel();
            cancel.ThrowIfCancellationRequested();

            var finished = await _retry.ExecuteAsync(ct => outputs.ReadLatentsAsync(stored, ct), cancel);
            session = await DeviceCallAsync("open", () => held.HoldDuringAsync(WatchdogAsync("open", _engine.OpenAsync(item.Settings, finished, device.Token))), device.Token);
            Video.ChunksTotal = session.ChunkCount;
            Video.ChunksDone = stored;
            Video.Chunks.RemoveAll(c => c.Index >= stored);
            int next = stored;
            held.Renew(); // progress: the session is open

            while (true)
            {
                if (held.IsLost)
                {
                    // The queue no longer knows this lease (it expired and the item went back): another silo may have it.
                    _logger.LogWarning("Video {Job}/{Video}: lease {Lease} was lost; stopping at chunk {Chunk} (its chunks are stored)", jobId, videoId, lease.LeaseId, Video.ChunksDone);
                    _suspend = true;
                }
                if (_suspend)
                {
                    suspended = true;
                    break;
                }
                cancel.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                var call = $"chunk {next}";
                var chunk = await DeviceCallAsync(call, () => held.HoldDuringAsync(WatchdogAsync(call, session.NextAsync(device.Token))), device.Token);
                if (chunk is null) break;
                var computed = sw.Elapsed;
                next = chunk.Index + 1;
                held.Renew(); // progress: a chunk was rendered
                // The device goes on with the next chunk while this one is stored: storage time is off the device's path.
                await writes.StartAsync(() => StoreChunkAsync(chunk, computed, lease, item, info, outputs, jobGrain, cancel));
            }
            await writes.FlushAsync();

            if (suspended)
            {
                Video.State = VideoState.Pending;
                await WriteStateAsync();
                outcome = "suspended";
                _logger.LogInformation("Video {Job}/{Video} checkpointed after chunk {Chunk} for the silo's drain", jobId, videoId, Video.ChunksDone - 1);
                return;
            }

            int framesSoFar = Video.Chunks.Sum(c => c.Frames);
            long beforeFinish = outputs.BytesWritten;
            var settings = item.Settings;
            var finishedAt = _time.GetUtcNow();
            double gpuSeconds = Video.Chunks.Sum(c => c.DenoiseSeconds + c.CacheUpdateSeconds + c.DecodeSeconds);
            VideoMetadata? written = null;
            await _retry.ExecuteAsync(ct => outputs.FinishAsync(Video.ChunksDone, info.HasDecoder, framesSoFar, settings.LatentFrames, files => written = new VideoMetadata(
                jobId, videoId, item.Index, settings.Prompt, false, settings.Seed, settings.Width, settings.Height, settings.Frames, _options.Fps,
                settings.Sampler, settings.SamplerOptions,
                new ModelMetadata(info.ModelId, info.ModelHash, info.RandomWeights, info.Device, info.DType),
                _silo.Name, Video.Attempts, Video.StartedAt ?? finishedAt, finishedAt,
                Video.Chunks.OrderBy(c => c.Index).Select(c => new ChunkMetadata(c.Index, c.FirstLatentFrame, c.Frames, c.DenoiseSeconds, c.CacheUpdateSeconds,
                    c.DecodeSeconds, c.WriteSeconds, c.ModelPasses, c.Silo, c.FinishedAt)).ToList(),
                files, job.Priority, job.Tags,
                info.RandomWeights ? "No checkpoint configured: rendered with a seeded-random tiny model, so the frames are not meaningful pictures." : null)
            { GpuSeconds = gpuSeconds }, ct), cancel);
            // Not idempotent (a retried append can repeat the line); readers key lines by id.
            await _retry.ExecuteAsync(ct => ResultsManifest.AppendAsync(_blobs, job.Output, written!, ct), cancel);
            Video.ResultRecorded = true;
            _metrics.GpuSecondsUsed(gpuSeconds, job.Tenant);
            _metrics.BytesWritten(outputs.BytesWritten - beforeFinish);
            Video.State = VideoState.Completed;
            Video.FinishedAt = finishedAt;
            await WriteStateAsync();
            outcome = "completed";
            final = Report(lease, item.Index, videoId, ProgressKind.Completed, Video.ChunksDone, Video.ChunksTotal, null) with { GpuSeconds = gpuSeconds };
            await NotifyAsync(jobGrain, final);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            // The drain's grace ran out mid-chunk: the chunk is abandoned, the stored ones stay, another silo resumes.
            await TryAsync(writes.FlushAsync); // the chunk rendered before it is kept
            suspended = true;
            outcome = "suspended";
            Video.State = VideoState.Pending;
            await TryAsync(() => _state.WriteStateAsync());
            _logger.LogWarning("Video {Job}/{Video} abandoned chunk {Chunk} at the drain's deadline; it resumes elsewhere from its stored chunks", jobId, videoId, Video.ChunksDone);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && _superseded)
        {
            await TryAsync(writes.FlushAsync);
            suspended = true;
            outcome = "suspended";
            Video.State = VideoState.Pending;
            await TryAsync(() => _state.WriteStateAsync());
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await TryAsync(writes.FlushAsync);
            outcome = "cancelled";
            Video.State = VideoState.Cancelled;
            Video.CancelReported = true;
            Video.FinishedAt = _time.GetUtcNow();
            await TryAsync(() => _state.WriteStateAsync());
            final = Report(lease, item.Index, videoId, ProgressKind.Cancelled, Video.ChunksDone, Video.ChunksTotal, $"cancelled after {Video.ChunksDone} chunks");
            await NotifyAsync(jobGrain, final);
        }
        catch (Exception ex) when (outcome == "completed")
        {
            // Everything was stored; only the report failed after its retries. The lease still ends as done.
            _logger.LogWarning(ex, "Video {Job}/{Video} completed but its report failed: {Message}", jobId, videoId, ex.Message);
        }
        catch (Exception ex)
        {
            deviceHung = ex is DeviceWatchdogException;
            failure = ex is DeviceCallException or DeviceWatchdogException ? RenderFailure.Device : RenderFailure.Infrastructure;
            await TryAsync(writes.FlushAsync);
            _logger.LogError(ex, "Video {Job}/{Video} failed at chunk {Chunk} (attempt {Attempt} of {Max})", jobId, videoId, Video.ChunksDone, lease.Attempt, lease.MaxAttempts);
            Video.State = VideoState.Failed;
            Video.Error = ex.Message;
            Video.FinishedAt = _time.GetUtcNow();
            error = ex.Message;
            await TryAsync(() => _state.WriteStateAsync());
            // Not the last attempt: the queue runs it again after a backoff, so the job does not count it yet.
            var kind = lease.IsLastAttempt ? ProgressKind.Failed : ProgressKind.Retrying;
            var message = lease.IsLastAttempt ? ex.Message : $"attempt {lease.Attempt} of {lease.MaxAttempts} failed: {ex.Message}";
            var report = Report(lease, item.Index, videoId, kind, Video.ChunksDone, Video.ChunksTotal, message);
            if (lease.IsLastAttempt) final = report;
            await NotifyAsync(jobGrain, report);
        }
        finally
        {
            // A wedged device never runs the disposal: don't wait for it (the silo is unhealthy and will be restarted).
            if (session is not null && !deviceHung) await TryAsync(async () => await session.DisposeAsync());
            await TryAsync(writes.FlushAsync);
            outputs.Dispose();
            _render = null;
            _lease = null;
            _cancel?.Dispose();
            _cancel = null;
            _abort?.Dispose();
            _abort = null;
            if (outcome != "suspended") _metrics.VideoEnded(outcome);
            var end = suspended ? LeaseOutcome.Returned : outcome == "failed" ? LeaseOutcome.Failed : LeaseOutcome.Done;
            await TryAsync(() => _worker.VideoEndedAsync(lease, end, error, failure, final));
            DelayDeactivation(TimeSpan.Zero);
            DeactivateOnIdle(); // the caches are gone; the next call may place the grain anywhere
        }
    }

    /// <summary>Stores one rendered chunk (latents and segment, create-only so a retry is safe), records it in the
    /// video's state and tells the job. Runs while the device renders the next chunk.</summary>
    private async Task StoreChunkAsync(RenderedChunk chunk, TimeSpan computed, WorkLease lease, Abstractions.Jobs.JobItem item, EngineInfo info,
        VideoOutputs outputs, IJobGrain jobGrain, CancellationToken cancel)
    {
        var (jobId, videoId) = Key;
        var write = Stopwatch.StartNew();
        long before = outputs.BytesWritten;
        var chunkMetadata = new Dictionary<string, string>
        {
            ["job"] = jobId, ["video"] = videoId, ["chunk"] = chunk.Index.ToString(), ["first_latent_frame"] = chunk.FirstLatentFrame.ToString(),
            ["model_hash"] = info.ModelHash, ["seed"] = item.Settings.Seed.ToString(),
        };
        await _retry.ExecuteAsync(ct => outputs.WriteChunkAsync(chunk, chunkMetadata, ct), cancel);
        _metrics.BytesWritten(outputs.BytesWritten - before);
        Video.Chunks.Add(new ChunkRecord
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
        Video.ChunksDone = chunk.Index + 1;
        await WriteStateAsync();
        _metrics.ChunkRendered(computed.TotalSeconds, chunk.FrameCount);
        // One-way: a cancel reaches the video by its CancelAsync, or by the lease renewal answering false.
        await NotifyAsync(jobGrain, Report(lease, item.Index, videoId, ProgressKind.Chunk, Video.ChunksDone, Video.ChunksTotal, null) with { ChunkSeconds = computed.TotalSeconds });
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

    private async Task<VideoMetadata?> ReadMetadataAsync(string container, string folder)
    {
        var stored = await _retry.ExecuteAsync(() => _blobs.TryReadAsync(container, $"{folder}/{VideoOutputs.MetadataFile}"));
        return stored is null ? null : System.Text.Json.JsonSerializer.Deserialize<VideoMetadata>(stored.ToString(), Manifests.FarmJson.Options);
    }

    private static bool Supersedes(WorkLease next, WorkLease running) =>
        next.LeaseId != running.LeaseId && (next.Generation > running.Generation || (next.Generation == running.Generation && next.Attempt > running.Attempt));

    private VideoReport Report(WorkLease lease, int item, string videoId, ProgressKind kind, int done, int total, string? message) =>
        new(item, videoId, kind, done, total, 0, _silo.Name, string.IsNullOrEmpty(message) ? null : message.Trim()) { Attempt = lease.Attempt, Generation = lease.Generation };

    /// <summary>An outcome report must arrive: it is retried through failovers and storage faults (<see cref="FarmRetry"/>;
    /// the job counts it once however often it comes).</summary>
    private Task ReportEndAsync(IJobGrain job, VideoReport report) => _retry.ExecuteAsync(() => job.ReportAsync(report)).AsTask();

    /// <summary>Marks what <paramref name="call"/> throws as the device's failure (<see cref="DeviceCallException"/>),
    /// except a cancellation asked for by <paramref name="token"/> and the watchdog's own error.</summary>
    private static async Task<T> DeviceCallAsync<T>(string what, Func<Task<T>> call, CancellationToken token)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is not DeviceWatchdogException && !(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            throw new DeviceCallException(what, ex);
        }
    }

    /// <summary>A device call bounded by <see cref="FarmOptions.DeviceCallTimeout"/>: past it the video fails and the
    /// silo is marked unhealthy (the call itself cannot be stopped; the device thread is wedged).</summary>
    private async Task<T> WatchdogAsync<T>(string what, Task<T> call)
    {
        try
        {
            return await call.WaitAsync(_options.DeviceCallTimeout, _time);
        }
        catch (TimeoutException)
        {
            _health.DeviceCallTimedOut(what);
            throw new DeviceWatchdogException($"Device call '{what}' did not return within {_options.DeviceCallTimeout} (watchdog); the silo is marked unhealthy.");
        }
    }

    private Task WriteStateAsync() => _retry.ExecuteAsync(() => _state.WriteStateAsync()).AsTask();

    private Task<bool> ReportAsync(IJobGrain job, VideoReport report) => _retry.ExecuteAsync(() => job.ReportAsync(report)).AsTask();

    /// <summary>One-way progress or outcome for the job's events and counts; the outcome's durable path is the lease's end.</summary>
    private Task NotifyAsync(IJobGrain job, VideoReport report) => TryAsync(() => job.NotifyAsync(report));

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
        if (Video.State == VideoState.Rendering && Video.Chunks.Count > 0 && Video.ChunksTotal > 0)
        {
            double perChunk = Video.Chunks.Average(c => c.DenoiseSeconds + c.CacheUpdateSeconds + c.DecodeSeconds + c.WriteSeconds);
            eta = TimeSpan.FromSeconds(perChunk * (Video.ChunksTotal - Video.ChunksDone));
        }
        else if (Video.State == VideoState.Completed) eta = TimeSpan.Zero;
        var state = Video.State == VideoState.Rendering && _render is null ? VideoState.Pending : Video.State; // a stale "rendering" from a silo that died
        return new VideoStatus(jobId, videoId, Video.ItemIndex, state, Video.ChunksDone, Video.ChunksTotal, Video.Silo, Video.StartedAt, Video.FinishedAt, eta, Video.Error, Video.OutputFolder, Video.Skipped);
    }
}

/// <summary>A device call outlived the watchdog deadline.</summary>
public sealed class DeviceWatchdogException(string message) : Exception(message);
