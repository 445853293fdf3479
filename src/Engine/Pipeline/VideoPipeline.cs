using HiStream.Engine.Sampling;
using HiStream.Engine.Text;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Pipeline;

/// <summary>Prompt + settings → chunks of latents (and frames, when a decoder is present). The model components
/// are loaded once and shared by every session; each session holds only its own caches.</summary>
public sealed class VideoPipeline : IDisposable
{
    private readonly ITextEncoder _encoder;
    private readonly IReadOnlyDictionary<string, SamplerFactory> _samplers;
    private readonly Func<IStreamingVideoDecoder>? _decoderFactory;
    private readonly IDisposable? _owned;

    public delegate IVideoSampler SamplerFactory(IReadOnlyDictionary<string, string> options);

    public VideoPipeline(PipelineInfo info, ITextEncoder encoder, IReadOnlyDictionary<string, SamplerFactory> samplers, Func<IStreamingVideoDecoder>? decoderFactory, IDisposable? owned = null)
    {
        Info = info;
        _encoder = encoder;
        _samplers = new Dictionary<string, SamplerFactory>(samplers, StringComparer.OrdinalIgnoreCase);
        _decoderFactory = decoderFactory;
        _owned = owned;
    }

    public PipelineInfo Info { get; }
    public IReadOnlyCollection<string> Samplers => _samplers.Keys.ToArray();
    public bool HasDecoder => _decoderFactory is not null;

    public SamplerPlan Plan(VideoRequest request)
    {
        var sampler = Sampler(request);
        using var context = torch.zeros(1, 1);
        return sampler.Plan(new SamplingRequest(context, request.Seed, request.LatentFrames, request.LatentHeight, request.LatentWidth));
    }

    /// <param name="finishedChunks">Final latents of chunks an earlier run finished (CPU float32); the sampler rebuilds
    /// its caches from them and the decoder replays them to rebuild its causal cache. The caller keeps ownership.</param>
    public VideoSession Open(VideoRequest request, IReadOnlyList<torch.Tensor> finishedChunks, CancellationToken cancellationToken)
    {
        var sampler = Sampler(request);
        var text = _encoder.Encode(request.Prompt);
        IStreamingVideoDecoder? decoder = null;
        try
        {
            var samplingRequest = new SamplingRequest(text.Context, request.Seed, request.LatentFrames, request.LatentHeight, request.LatentWidth);
            var plan = sampler.Plan(samplingRequest);
            decoder = _decoderFactory?.Invoke();
            if (decoder is not null)
                foreach (var latents in finishedChunks)
                    decoder.DecodeNext(latents).Dispose();
            var resume = finishedChunks.Count > 0 ? new SamplerResumeState(finishedChunks) : null;
            var chunks = sampler.Generate(samplingRequest, resume, cancellationToken).GetEnumerator();
            return new VideoSession(plan, chunks, decoder, text.Context, finishedChunks.Count, text.Truncated);
        }
        catch
        {
            decoder?.Dispose();
            text.Context.Dispose();
            throw;
        }
    }

    private IVideoSampler Sampler(VideoRequest request) =>
        _samplers.TryGetValue(request.Sampler, out var factory)
            ? factory(request.SamplerOptions)
            : throw new ArgumentException($"Unknown sampler '{request.Sampler}'. Available: {string.Join(", ", _samplers.Keys)}.");

    public void Dispose() => _owned?.Dispose();
}

/// <param name="RandomWeights">No weights were given: a small seeded-random model renders (outputs say so).</param>
public sealed record PipelineInfo(string ModelId, string ModelHash, bool RandomWeights, string Device, string DType, long ModelBytes)
{
    /// <summary>The decoder's load-time convolution check: what it probed on this machine and what it chose (one log line); null without a decoder.</summary>
    public string? ConvolutionCheck { get; init; }
}
