using HiStream.Abstractions.Rendering;

namespace HiStream.Abstractions.Jobs;

/// <summary>A submitted job. <see cref="ManifestHash"/> identifies the normalised items, so a resubmission of the
/// same job id with different content is refused instead of mixing two manifests.</summary>
[GenerateSerializer, Immutable, Alias("histream.JobDefinition")]
public sealed record JobDefinition(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Priority,
    [property: Id(2)] string[] Tags,
    [property: Id(3)] OutputLocation Output,
    [property: Id(4)] ManifestLocation Manifest,
    [property: Id(5)] string ManifestHash,
    [property: Id(6)] RenderFootprint Footprint,
    [property: Id(7)] DateTimeOffset SubmittedAt)
{
    /// <summary>Called (POST, HMAC-signed) when the job finishes; null for none.</summary>
    [Id(8)] public string? Webhook { get; init; }
}
