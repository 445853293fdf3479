using System.Diagnostics;
using HiStream.Engine.Sampling;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Pipeline;

/// <summary>One video in progress: the sampler's enumeration (which owns the KV caches) and the decoder's causal
/// cache stay alive between chunks. Not thread-safe: drive it from one thread (the device thread).</summary>
public sealed class VideoSession : IDisposable
{
    private readonly IEnumerator<GeneratedChunk> _chunks;
    private readonly IStreamingVideoDecoder? _decoder;
    private readonly torch.Tensor _textContext;
    private bool _disposed;

    internal VideoSession(SamplerPlan plan, IEnumerator<GeneratedChunk> chunks, IStreamingVideoDecoder? decoder, torch.Tensor textContext, int resumedChunks, bool truncatedPrompt)
    {
        Plan = plan;
        _chunks = chunks;
        _decoder = decoder;
        _textContext = textContext;
        ResumedChunks = resumedChunks;
        PromptTruncated = truncatedPrompt;
    }

    public SamplerPlan Plan { get; }
    public int ChunkCount => Plan.Chunks;
    public int ResumedChunks { get; }
    public bool PromptTruncated { get; }
    public bool HasDecoder => _decoder is not null;

    /// <summary>Renders (and decodes) the next chunk; null after the last one.</summary>
    public SessionChunk? Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_chunks.MoveNext()) return null;
        var chunk = _chunks.Current;
        torch.Tensor? frames = null;
        var decode = TimeSpan.Zero;
        if (_decoder is not null)
        {
            var sw = Stopwatch.StartNew();
            frames = _decoder.DecodeNext(chunk.Latents);
            decode = sw.Elapsed;
        }
        return new SessionChunk(chunk.Index, chunk.FirstLatentFrame, chunk.Latents, frames, chunk.Timing, decode);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _chunks.Dispose();
        _decoder?.Dispose();
        _textContext.Dispose();
    }
}
