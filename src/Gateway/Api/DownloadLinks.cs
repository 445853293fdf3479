using HiStream.Abstractions.Jobs;
using HiStream.Grains.Storage;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Api;

/// <summary>Settings of download links (configuration section <c>Gateway:Downloads</c>).</summary>
public sealed class DownloadOptions
{
    public const string Section = "Gateway:Downloads";

    /// <summary>How long a read-only SAS URL stays valid.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Where a client downloads a video's file: a short-lived read-only SAS URL when the store issues one (Azure),
/// else the gateway's own file route, which needs the caller's key and serves ranges.</summary>
public sealed class DownloadLinks(IBlobStore blobs, IOptions<DownloadOptions> options, TimeProvider time)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public DateTimeOffset ExpiresOn() => time.GetUtcNow() + options.Value.UrlLifetime;

    public async Task<Uri> ForAsync(HttpRequest request, OutputLocation output, string jobId, string videoId, string file, CancellationToken cancellationToken) =>
        await blobs.TryGetReadUrlAsync(output.Container, $"{output.VideoFolder(jobId, videoId)}/{file}", ExpiresOn(), cancellationToken)
        ?? new Uri(FilesUrl(request, jobId, videoId), string.Join('/', file.Split('/').Select(Uri.EscapeDataString)));

    /// <summary>The gateway folder of a video's files (ends in '/').</summary>
    public Uri FilesUrl(HttpRequest request, string jobId, string videoId) =>
        new($"{request.Scheme}://{request.Host}{request.PathBase}/jobs/{Uri.EscapeDataString(jobId)}/videos/{Uri.EscapeDataString(videoId)}/files/");

    public static string ContentType(string name) => ContentTypes.TryGetContentType(name, out var type) ? type : "application/octet-stream";
}
