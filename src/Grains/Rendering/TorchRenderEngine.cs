using HiStream.Abstractions.Rendering;
using HiStream.Engine.Pipeline;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace HiStream.Grains.Rendering;

/// <summary><see cref="IRenderEngine"/> on the TorchSharp pipeline. The pipeline (weights) is loaded once per silo
/// on the device thread; sessions and their tensors live and die on that thread too.</summary>
public sealed class TorchRenderEngine : IRenderEngine, IRenderCostModel, IDisposable
{
    private readonly IPipelineSource _source;
    private readonly FarmOptions _options;
    private readonly ILogger<TorchRenderEngine> _logger;
    private readonly DeviceThread _device;
    private readonly RenderMemoryEstimator _estimator;
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private VideoPipeline? _pipeline;
    private EngineInfo? _info;
    private int _disposed;

    public TorchRenderEngine(IPipelineSource source, IOptions<FarmOptions> options, ILogger<TorchRenderEngine> logger)
    {
        _source = source;
        _options = options.Value;
        _logger = logger;
        _estimator = new RenderMemoryEstimator(source.Dimensions);
        _device = new DeviceThread("histream-device", () => torch.set_grad_enabled(false));
    }

    public long EstimateVideoBytes(RenderFootprint footprint) =>
        _estimator.EstimateVideoBytes(footprint.Width, footprint.Height, footprint.LatentFrames, footprint.Sampler);

    public async Task<EngineInfo> LoadAsync(CancellationToken cancellationToken)
    {
        if (_info is not null) return _info;
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_info is not null) return _info;
            var started = DateTime.UtcNow;
            _pipeline = await _device.RunAsync(_source.Load, cancellationToken);
            var p = _pipeline.Info;
            _info = new EngineInfo(p.ModelId, p.ModelHash, p.RandomWeights, p.Device, p.DType, p.ModelBytes, DeviceMemoryBytes(p.Device), _pipeline.HasDecoder, _pipeline.Samplers);
            _logger.LogInformation("Model {Model} ({Hash}) loaded on {Device}/{DType} in {Seconds:F1} s{Random}; samplers: {Samplers}; decoder: {Decoder}",
                p.ModelId, p.ModelHash[..Math.Min(12, p.ModelHash.Length)], p.Device, p.DType, (DateTime.UtcNow - started).TotalSeconds,
                p.RandomWeights ? " (seeded-random weights: no checkpoint given)" : "", string.Join(", ", _info.Samplers), _info.HasDecoder);
            if (p.ConvolutionCheck is { } check) _logger.LogInformation("{ConvolutionCheck}", check);
            return _info;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    public async Task<IRenderSession> OpenAsync(RenderSettings settings, IReadOnlyList<ChunkLatents> finishedChunks, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        var pipeline = _pipeline!;
        var request = new VideoRequest(settings.Prompt, settings.Seed, settings.Width, settings.Height, settings.Frames, settings.Sampler, settings.SamplerOptions);
        return await _device.RunAsync(() =>
        {
            var resume = finishedChunks.Select(c => torch.tensor(c.Data, c.Shape)).ToList();
            try
            {
                var session = pipeline.Open(request, resume, cancellationToken);
                return (IRenderSession)new TorchRenderSession(_device, session, resume, cancellationToken);
            }
            catch
            {
                foreach (var t in resume) t.Dispose();
                throw;
            }
        }, cancellationToken);
    }

    private long DeviceMemoryBytes(string device)
    {
        if (_options.DeviceMemoryGiB is { } gib) return (long)(gib * (1L << 30));
        if (device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
        {
            _logger.LogWarning("Farm:DeviceMemoryGiB is not set; planning with 80 GiB for {Device}. Set it to the GPU's memory.", device);
            return 80L << 30;
        }
        return (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.8);
    }

    public void Dispose()
    {
        // Resolved as itself, as IRenderEngine and as IRenderCostModel: the container may dispose it more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_pipeline is { } p) _device.RunAsync(p.Dispose).Wait(TimeSpan.FromSeconds(30));
        _device.Dispose();
        _loadLock.Dispose();
    }

    private sealed class TorchRenderSession : IRenderSession
    {
        private readonly DeviceThread _device;
        private readonly VideoSession _session;
        private readonly List<torch.Tensor> _resume;
        private readonly CancellationToken _renderToken;

        public TorchRenderSession(DeviceThread device, VideoSession session, List<torch.Tensor> resume, CancellationToken renderToken)
        {
            _device = device;
            _session = session;
            _resume = resume;
            _renderToken = renderToken;
        }

        public int ChunkCount => _session.ChunkCount;

        public Task<RenderedChunk?> NextAsync(CancellationToken cancellationToken) => _device.RunAsync(() =>
        {
            _renderToken.ThrowIfCancellationRequested();
            // No dispose scope around Next(): the sampler allocates its caches lazily and must keep them.
            using var chunk = _session.Next();
            if (chunk is null) return null;
            using var scope = torch.NewDisposeScope();
            var latents = chunk.Latents.to(torch.ScalarType.Float32).cpu().contiguous();
            var data = latents.data<float>().ToArray();
            byte[]? frames = null;
            int count = 0, height = 0, width = 0;
            if (chunk.Frames is { } f)
            {
                var rgb = f.to(torch.ScalarType.Byte).cpu().contiguous();
                frames = rgb.data<byte>().ToArray();
                count = (int)rgb.shape[0];
                height = (int)rgb.shape[1];
                width = (int)rgb.shape[2];
            }
            return (RenderedChunk?)new RenderedChunk(chunk.Index, chunk.FirstLatentFrame, new ChunkLatents(latents.shape, data), frames, count, width, height,
                chunk.Timing.Denoise, chunk.Timing.CacheUpdate, chunk.Decode, chunk.Timing.ModelPasses);
        }, cancellationToken);

        public async ValueTask DisposeAsync() => await _device.RunAsync(() =>
        {
            _session.Dispose();
            foreach (var t in _resume) t.Dispose();
        });
    }
}
