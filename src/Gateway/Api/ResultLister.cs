using HiStream.Abstractions.Jobs;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Gateway.Api;

/// <summary>Finished videos of a job, found in the result store (each has a <c>metadata.json</c>), with download URLs.</summary>
public sealed class ResultLister(IBlobStore blobs, DownloadLinks links)
{
    public async Task<ResultsPage> ListAsync(HttpRequest request, string jobId, OutputLocation output, int skip, int take, CancellationToken cancellationToken)
    {
        var folder = output.JobFolder(jobId) + "/";
        var items = new List<(string VideoId, bool HasVideo)>();
        int seen = 0;
        bool more = false;
        string? videoFolder = null;
        bool hasVideo = false, hasMetadata = false;

        await foreach (var entry in blobs.ListAsync(output.Container, folder, cancellationToken))
        {
            var rest = entry.Name[folder.Length..];
            int slash = rest.IndexOf('/');
            if (slash <= 0) continue;
            var video = rest[..slash];
            if (video != videoFolder)
            {
                if (Flush()) break;
                videoFolder = video;
                hasVideo = hasMetadata = false;
            }
            var file = rest[(slash + 1)..];
            if (file == VideoOutputs.VideoFile) hasVideo = true;
            else if (file == VideoOutputs.MetadataFile) hasMetadata = true;
        }
        Flush();
        var results = new List<ResultItem>(items.Count);
        foreach (var (videoId, withVideo) in items)
            results.Add(new ResultItem(videoId,
                await links.ForAsync(request, output, jobId, videoId, VideoOutputs.MetadataFile, cancellationToken),
                withVideo ? await links.ForAsync(request, output, jobId, videoId, VideoOutputs.VideoFile, cancellationToken) : null,
                await links.ForAsync(request, output, jobId, videoId, VideoOutputs.PreviewFile, cancellationToken)));
        return new ResultsPage(jobId, skip, results.Count, results, more ? skip + results.Count : null);

        // Adds the video just scanned if it is finished; true when the page is full and another finished video exists.
        bool Flush()
        {
            if (videoFolder is null || !hasMetadata) return false;
            if (seen++ < skip) return false;
            if (items.Count == take)
            {
                more = true;
                return true;
            }
            items.Add((videoFolder, hasVideo));
            return false;
        }
    }
}
