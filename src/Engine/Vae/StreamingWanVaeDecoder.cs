using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// Decodes one video's latents chunk by chunk as the sampler yields them, keeping the causal feature cache between
/// chunks, so any chunking gives the same frames as decoding the whole latent at once. Each latent frame runs the
/// decoder once (1 pixel frame for the video's first latent frame, 4 for each later one), as the reference does.
/// Not thread-safe; one instance per video. <see cref="Reset"/> starts a new video.
/// </summary>
public sealed class StreamingWanVaeDecoder : IStreamingVideoDecoder
{
    private readonly WanVaeDecoderModel _model;
    private readonly VaeDecodeOptions _options;
    private readonly LatentNormalization _normalization;
    private readonly FeatureCache _trunkCache;
    private readonly List<FeatureCache> _bandCaches = new();
    private long[]? _latentSize;
    private string? _failedWith;
    private bool _disposed;

    public StreamingWanVaeDecoder(WanVaeDecoderModel model, VaeDecodeOptions? options = null, LatentNormalization? normalization = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _options = options ?? VaeDecodeOptions.Default;
        _options.Validate();
        _normalization = normalization ?? LatentNormalization.Wan21;
        if (_normalization.Channels != model.Config.ZDim)
            throw new ArgumentException($"Latent normalisation has {_normalization.Channels} channels, the VAE has z_dim {model.Config.ZDim}.", nameof(normalization));
        _trunkCache = new FeatureCache(_options.CacheDevice);
    }

    public int LatentFramesDecoded { get; private set; }
    public long PixelFramesDecoded { get; private set; }

    /// <summary>Bytes held by the temporal feature cache right now.</summary>
    public long CacheBytes => _trunkCache.Bytes + _bandCaches.Sum(c => c.Bytes);

    /// <summary>Cache slots in use (32 for the Wan2.1 layout with whole frames).</summary>
    public int CacheSlots => _trunkCache.SlotCount + _bandCaches.Sum(c => c.SlotCount);

    /// <inheritdoc />
    public torch.Tensor DecodeNext(torch.Tensor latents)
    {
        var frames = new List<torch.Tensor>();
        try
        {
            Decode(latents, slice =>
            {
                using (slice) frames.Add(VideoFrameConversion.ToRgbBytes(slice).DetachFromDisposeScope());
            });
            return frames.Count == 1 ? frames[0].alias() : torch.cat(frames, 0);
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    /// <summary>Like <see cref="DecodeNext"/> but returns the decoder's float32 output [1, 3, N, H, W] on the CPU, before
    /// the clamp to [-1, 1].</summary>
    public torch.Tensor DecodeNextRaw(torch.Tensor latents)
    {
        var parts = new List<torch.Tensor>();
        try
        {
            Decode(latents, slice =>
            {
                using (slice) parts.Add(slice.to(torch.ScalarType.Float32).cpu().DetachFromDisposeScope());
            });
            return parts.Count == 1 ? parts[0].alias() : torch.cat(parts, 2);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>Forgets the cache: the next chunk is the first of a new video.</summary>
    public void Reset()
    {
        _trunkCache.Clear();
        foreach (var c in _bandCaches) c.Dispose();
        _bandCaches.Clear();
        _latentSize = null;
        _failedWith = null;
        LatentFramesDecoded = 0;
        PixelFramesDecoded = 0;
    }

    /// <summary>Decodes a whole latent in one go with a fresh cache: float32 [1, 3, 1 + 4·(T−1), 8h, 8w].</summary>
    public static torch.Tensor DecodeAll(WanVaeDecoderModel model, torch.Tensor latents, VaeDecodeOptions? options = null, LatentNormalization? normalization = null)
    {
        using var decoder = new StreamingWanVaeDecoder(model, options, normalization);
        return decoder.DecodeNextRaw(latents);
    }

    private void Decode(torch.Tensor latents, Action<torch.Tensor> onSlice)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failedWith is not null)
            throw new InvalidOperationException(
                $"An earlier chunk of this video failed midway ({_failedWith}), so the decoder's cache is incomplete. Call Reset() and decode the video again from its first chunk.");
        var z = Validate(latents);
        try
        {
            DecodeValidated(z, onSlice);
        }
        catch (Exception e)
        {
            _failedWith = e.GetType().Name + ": " + e.Message;
            throw;
        }
    }

    private void DecodeValidated(torch.Tensor z, Action<torch.Tensor> onSlice)
    {
        using var noGrad = torch.no_grad();
        torch.Tensor x;
        using (var scope = torch.NewDisposeScope())
        {
            using var batched = z.dim() == 4 ? z.unsqueeze(0) : z.alias();
            var onDevice = batched.to(_model.Device);
            x = _normalization.Denormalize(onDevice).to(_model.DType).MoveToOuterDisposeScope();
        }
        using (x)
        {
            for (long f = 0; f < x.shape[2]; f++)
            {
                // conv2 is 1x1x1: running it frame by frame keeps every frame's arithmetic independent of the chunking.
                using var latentFrame = x.narrow(2, f, 1);
                using var frame = _model.Conv2.Forward(latentFrame, null);
                DecodeLatentFrame(frame, onSlice);
                LatentFramesDecoded++;
            }
        }
    }

    private void DecodeLatentFrame(torch.Tensor frame, Action<torch.Tensor> onSlice)
    {
        // Layers free their intermediates as they go; the scope only catches anything that slipped through.
        using var scope = torch.NewDisposeScope();
        _trunkCache.BeginPass();
        _model.Decoder.RunTrunk(frame, _trunkCache, _options.FramesPerSlice, tailInput =>
        {
            var output = RunTailInBands(tailInput);
            PixelFramesDecoded += output.shape[2];
            onSlice(output);
        });
    }

    private torch.Tensor RunTailInBands(torch.Tensor slice)
    {
        var decoder = _model.Decoder;
        long rows = slice.shape[3];
        long bandRows = _options.BandRows == 0 ? rows : Math.Max(1, (_options.BandRows + decoder.TailScale - 1) / decoder.TailScale);
        int bands = (int)((rows + bandRows - 1) / bandRows);
        while (_bandCaches.Count < bands) _bandCaches.Add(new FeatureCache(_options.CacheDevice));
        if (bands == 1)
        {
            _bandCaches[0].BeginPass();
            return decoder.RunTail(slice, _bandCaches[0]);
        }
        long halo = decoder.TailHaloRows;
        var outputs = new List<torch.Tensor>(bands);
        try
        {
            for (int b = 0; b < bands; b++)
            {
                long r0 = b * bandRows, r1 = Math.Min(rows, r0 + bandRows);
                long s0 = Math.Max(0, r0 - halo), s1 = Math.Min(rows, r1 + halo);
                using var band = slice.narrow(3, s0, s1 - s0);
                _bandCaches[b].BeginPass();
                using var decoded = decoder.RunTail(band, _bandCaches[b]);
                using var core = decoded.narrow(3, (r0 - s0) * decoder.TailScale, (r1 - r0) * decoder.TailScale);
                outputs.Add(core.contiguous());
            }
            return torch.cat(outputs, 3);
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    private torch.Tensor Validate(torch.Tensor latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        int z = _model.Config.ZDim;
        bool ok = latents.dim() == 4 && latents.shape[0] == z || latents.dim() == 5 && latents.shape[0] == 1 && latents.shape[1] == z;
        if (!ok)
            throw new ArgumentException($"Latents must be [{z}, F, h, w] or [1, {z}, F, h, w], got [{string.Join(",", latents.shape)}].", nameof(latents));
        if (!latents.is_floating_point())
            throw new ArgumentException($"Latents must be a floating-point tensor, got {latents.dtype}.", nameof(latents));
        var size = latents.shape[^2..];
        if (latents.shape[^3] == 0 || size[0] == 0 || size[1] == 0)
            throw new ArgumentException($"Latents [{string.Join(",", latents.shape)}] are empty.", nameof(latents));
        if (_latentSize is not null && !_latentSize.SequenceEqual(size))
            throw new ArgumentException(
                $"This video's latents are {_latentSize[0]}x{_latentSize[1]}; a chunk of {size[0]}x{size[1]} cannot continue it. Call Reset() to start a new video.",
                nameof(latents));
        _latentSize = size;
        return latents;
    }

    public void Dispose()
    {
        if (_disposed) return;
        Reset();
        _trunkCache.Dispose();
        _disposed = true;
    }
}
