using System.Text.Json;
using HiStream.Engine.Pipeline;
using HiStream.Grains.Manifests;
using HiStream.Grains.Media;
using HiStream.Grains.Rendering;
using HiStream.Grains.Storage;

namespace HiStream.Grains.Videos;

/// <summary>A video's files in the result store, under <c>&lt;prefix&gt;/&lt;jobId&gt;/&lt;videoId&gt;/</c>:
/// <c>chunks/NNNN.safetensors</c> (latents, written as each chunk finishes), <c>segments/NNNN.mp4</c> (that chunk's
/// frames, when decoded), then <c>video.mp4</c>, <c>preview.png</c> and, last, <c>metadata.json</c>. Chunk files are
/// create-only, so a retried chunk never overwrites one that is already stored.</summary>
public sealed class VideoOutputs : IDisposable
{
    public const string MetadataFile = "metadata.json";
    public const string VideoFile = "video.mp4";
    public const string PreviewFile = "preview.png";

    private readonly IBlobStore _blobs;
    private readonly FfmpegVideoEncoder _encoder;
    private readonly string _container;
    private readonly string _folder;
    private readonly string _temp;

    public VideoOutputs(IBlobStore blobs, FfmpegVideoEncoder encoder, string container, string folder)
    {
        _blobs = blobs;
        _encoder = encoder;
        _container = container;
        _folder = folder;
        _temp = Path.Combine(Path.GetTempPath(), "histream", Guid.NewGuid().ToString("N"));
    }

    public static string LatentsFile(int chunk) => $"chunks/{chunk:D4}.safetensors";
    public static string SegmentFile(int chunk) => $"segments/{chunk:D4}.mp4";

    public string Folder => _folder;
    public long BytesWritten { get; private set; }

    private string Blob(string relative) => $"{_folder}/{relative}";

    public Task<bool> IsFinishedAsync(CancellationToken cancellationToken) => _blobs.ExistsAsync(_container, Blob(MetadataFile), cancellationToken);

    /// <summary>How many leading chunks are stored (latents, and segments when frames are decoded).</summary>
    public async Task<int> StoredChunksAsync(bool withSegments, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in _blobs.ListAsync(_container, _folder + "/", cancellationToken))
            names.Add(entry.Name[(_folder.Length + 1)..]);
        int n = 0;
        while (names.Contains(LatentsFile(n)) && (!withSegments || names.Contains(SegmentFile(n)))) n++;
        return n;
    }

    public async Task<IReadOnlyList<ChunkLatents>> ReadLatentsAsync(int count, CancellationToken cancellationToken)
    {
        var result = new List<ChunkLatents>(count);
        for (int i = 0; i < count; i++)
        {
            var data = await _blobs.TryReadAsync(_container, Blob(LatentsFile(i)), cancellationToken)
                       ?? throw new InvalidDataException($"Chunk latents {Blob(LatentsFile(i))} disappeared.");
            var (shape, values) = ChunkLatentsFile.Read(data.ToMemory().Span);
            result.Add(new ChunkLatents(shape, values));
        }
        return result;
    }

    /// <summary>Stores the chunk's frames (as an MP4 segment) and then its latents: a chunk counts as done once its
    /// latents exist.</summary>
    public async Task WriteChunkAsync(RenderedChunk chunk, IReadOnlyDictionary<string, string> latentMetadata, CancellationToken cancellationToken)
    {
        if (chunk.Frames is { } frames)
        {
            Directory.CreateDirectory(_temp);
            var segment = SegmentPath(chunk.Index);
            await _encoder.EncodeSegmentAsync(frames, chunk.FrameCount, chunk.FrameWidth, chunk.FrameHeight, segment, cancellationToken);
            var bytes = BinaryData.FromBytes(await File.ReadAllBytesAsync(segment, cancellationToken));
            if (await _blobs.TryCreateAsync(_container, Blob(SegmentFile(chunk.Index)), bytes, "video/mp4", cancellationToken)) BytesWritten += bytes.ToMemory().Length;
        }
        var latents = BinaryData.FromBytes(ChunkLatentsFile.Write(chunk.Latents.Shape, chunk.Latents.Data, latentMetadata));
        if (await _blobs.TryCreateAsync(_container, Blob(LatentsFile(chunk.Index)), latents, "application/octet-stream", cancellationToken)) BytesWritten += latents.ToMemory().Length;
    }

    /// <summary>Joins the segments into <c>video.mp4</c> (when frames were decoded), writes the preview, then the
    /// metadata. Returns the file list recorded in the metadata.</summary>
    public async Task<OutputFiles> FinishAsync(int chunks, bool decoded, int totalFrames, int latentFrames, Func<OutputFiles, VideoMetadata> metadata, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_temp);
        var latentFiles = Enumerable.Range(0, chunks).Select(LatentsFile).ToList();
        var segmentFiles = decoded ? Enumerable.Range(0, chunks).Select(SegmentFile).ToList() : [];
        string? video = null;
        var previewPath = Path.Combine(_temp, PreviewFile);
        if (decoded)
        {
            var segments = new List<string>();
            for (int i = 0; i < chunks; i++)
            {
                var path = SegmentPath(i);
                if (!File.Exists(path)) await DownloadAsync(Blob(SegmentFile(i)), path, cancellationToken); // finished by an earlier run
                segments.Add(path);
            }
            var videoPath = Path.Combine(_temp, VideoFile);
            await _encoder.ConcatAsync(segments, videoPath, cancellationToken);
            await _blobs.PutFileAsync(_container, Blob(VideoFile), videoPath, "video/mp4", cancellationToken);
            BytesWritten += new FileInfo(videoPath).Length;
            video = VideoFile;
            await _encoder.ExtractFrameAsync(videoPath, totalFrames / 2, previewPath, cancellationToken);
        }
        else
        {
            // No decoder: show the middle latent frame.
            int middle = latentFrames / 2;
            var all = await ReadLatentsAsync(chunks, cancellationToken);
            int first = 0;
            foreach (var c in all)
            {
                int frames = (int)c.Shape[1];
                if (middle < first + frames || c == all[^1])
                {
                    var (rgb, w, h) = LatentPreview.Render(c.Shape, c.Data, Math.Min(middle - first, frames - 1));
                    await File.WriteAllBytesAsync(previewPath, PngWriter.EncodeRgb(rgb, w, h), cancellationToken);
                    break;
                }
                first += frames;
            }
        }
        var preview = BinaryData.FromBytes(await File.ReadAllBytesAsync(previewPath, cancellationToken));
        await _blobs.PutAsync(_container, Blob(PreviewFile), preview, "image/png", cancellationToken);
        BytesWritten += preview.ToMemory().Length;

        var files = new OutputFiles(latentFiles, segmentFiles, video, PreviewFile, MetadataFile);
        var json = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(metadata(files), FarmJson.Indented));
        await _blobs.PutAsync(_container, Blob(MetadataFile), json, "application/json", cancellationToken);
        BytesWritten += json.ToMemory().Length;
        return files;
    }

    private string SegmentPath(int chunk) => Path.Combine(_temp, $"segment-{chunk:D4}.mp4");

    private async Task DownloadAsync(string name, string path, CancellationToken cancellationToken)
    {
        var data = await _blobs.TryReadAsync(_container, name, cancellationToken) ?? throw new InvalidDataException($"Segment {name} disappeared.");
        await File.WriteAllBytesAsync(path, data.ToMemory(), cancellationToken);
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
