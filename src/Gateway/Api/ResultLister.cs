using HiStream.Abstractions.Jobs;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Gateway.Api;

/// <summary>Finished videos of a job, found in the result store (each has a <c>metadata.json</c>), with their URLs.</summary>
public sealed class ResultLister(IBlobStore blobs)
{
    public async Task<ResultsPage> ListAsync(string jobId, OutputLocation output, int skip, int take, CancellationToken cancellationToken)
    {
        var folder = output.JobFolder(jobId) + "/";
        var items = new List<ResultItem>();
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
        return new ResultsPage(jobId, skip, items.Count, items, more ? skip + items.Count : null);

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
            var baseName = $"{folder}{videoFolder}/";
            items.Add(new ResultItem(videoFolder,
                blobs.GetUri(output.Container, baseName + VideoOutputs.MetadataFile),
                hasVideo ? blobs.GetUri(output.Container, baseName + VideoOutputs.VideoFile) : null,
                blobs.GetUri(output.Container, baseName + VideoOutputs.PreviewFile)));
            return false;
        }
    }
}
