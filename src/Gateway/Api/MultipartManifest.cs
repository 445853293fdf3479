using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HiStream.Gateway.Api;

/// <summary>The first file of a <c>multipart/form-data</c> upload, streamed from the request body: not buffered to
/// disk, and bounded only by the body limit of the caller (ASP.NET Core's form reader stops at its own 128 MiB).</summary>
public static class MultipartManifest
{
    /// <summary>The body of the first file section, or null when the form has none; a form that is not multipart or
    /// has no boundary is an <see cref="InvalidDataException"/>.</summary>
    public static async Task<Stream?> FirstFileAsync(string? contentType, Stream body, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return null; // a url-encoded form carries no file
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary);
        if (StringSegment.IsNullOrEmpty(boundary)) throw new InvalidDataException("the multipart content type has no boundary.");
        var reader = new MultipartReader(boundary.ToString(), body);
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                return section.Body;
        }
        return null;
    }
}
