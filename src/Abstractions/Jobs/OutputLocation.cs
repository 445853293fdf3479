namespace HiStream.Abstractions.Jobs;

/// <summary>Where a job's results go: blob container and a name prefix (may be empty).</summary>
[GenerateSerializer, Immutable, Alias("histream.OutputLocation")]
public sealed record OutputLocation([property: Id(0)] string Container, [property: Id(1)] string Prefix)
{
    /// <summary>The blob folder of one video: <c>&lt;prefix&gt;/&lt;jobId&gt;/&lt;videoId&gt;</c>.</summary>
    public string VideoFolder(string jobId, string videoId) =>
        string.IsNullOrEmpty(Prefix) ? $"{jobId}/{videoId}" : $"{Prefix.TrimEnd('/')}/{jobId}/{videoId}";

    public string JobFolder(string jobId) =>
        string.IsNullOrEmpty(Prefix) ? jobId : $"{Prefix.TrimEnd('/')}/{jobId}";
}
