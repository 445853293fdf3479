using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Media;

/// <param name="Mp4Path">The video; written incrementally as chunks arrive.</param>
/// <param name="ContactSheetPath">A PNG grid of frames across the whole video, written by Finish; null = none.</param>
/// <param name="PosterPath">A PNG of the last frame, rewritten after every chunk (a live preview); null = none.</param>
public sealed record VideoOutputOptions(string Mp4Path, string? ContactSheetPath = null, string? PosterPath = null)
{
    public Mp4WriterOptions Mp4 { get; init; } = new() { Fragmented = true };
    public ContactSheetOptions ContactSheet { get; init; } = new();
}

public sealed record VideoOutputResult(string Mp4Path, string? ContactSheetPath, string? PosterPath, long Frames, int Width, int Height);

/// <summary>
/// Latent chunks in, files out: each chunk is decoded (keeping the decoder's cache) and appended to the MP4 at once.
/// Only small thumbnails are kept in memory for the contact sheet, not the frames.
/// </summary>
public sealed class VideoOutputSession : IDisposable
{
    private readonly IStreamingVideoDecoder _decoder;
    private readonly VideoOutputOptions _options;
    private readonly Mp4VideoWriter _writer;
    private readonly List<torch.Tensor> _thumbnails = new();
    private bool _done;

    /// <param name="decoder">A decoder at the start of a video; the session uses it but does not dispose it.</param>
    public VideoOutputSession(IStreamingVideoDecoder decoder, VideoOutputOptions options)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.ContactSheet.Validate();
        _writer = Mp4VideoWriter.Create(options.Mp4Path, options.Mp4);
    }

    public long Frames => _writer.FramesWritten;

    /// <summary>Decodes a latent chunk [16, F, h, w] and appends its frames; returns how many frames it added.</summary>
    public int AddChunk(torch.Tensor latents)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        using var frames = _decoder.DecodeNext(latents);
        _writer.Append(frames);
        _thumbnails.Add(ContactSheet.Thumbnails(frames, _options.ContactSheet.ThumbnailWidth));
        if (_options.PosterPath is not null) PngWriter.WriteFrame(_options.PosterPath, frames, -1, _options.Mp4.Tools);
        return (int)frames.shape[0];
    }

    /// <summary>Completes the MP4 and writes the contact sheet.</summary>
    public VideoOutputResult Finish()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var mp4 = _writer.Finish();
        if (_options.ContactSheetPath is not null)
        {
            using var all = torch.cat(_thumbnails, 0);
            ContactSheet.Write(_options.ContactSheetPath, all, _options.ContactSheet with { ThumbnailWidth = 0 }, _options.Mp4.Tools);
        }
        var result = new VideoOutputResult(mp4, _options.ContactSheetPath, _options.PosterPath, _writer.FramesWritten, _writer.OutputWidth, _writer.OutputHeight);
        Dispose();
        return result;
    }

    /// <summary>Without <see cref="Finish"/>, aborts the MP4 (see <see cref="Mp4VideoWriter.Dispose"/>).</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _writer.Dispose();
        foreach (var t in _thumbnails) t.Dispose();
        _thumbnails.Clear();
    }
}
