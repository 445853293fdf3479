using HiStream.Abstractions.Rendering;

namespace HiStream.Abstractions.Jobs;

/// <summary>A submitted job. <see cref="ManifestHash"/> identifies the normalised items, so a resubmission of the
/// same job id with different content is refused instead of mixing two manifests. <see cref="Tenant"/> owns the job
/// (null: submitted without a tenant, by the embedded CLI, an anonymous gateway or an admin).</summary>
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
    [Id(22)] public string? Webhook { get; init; }
    /// <summary>Items not started by then fail (optional).</summary>
    [Id(20)] public DateTimeOffset? Deadline { get; init; }
    /// <summary>The tenant that owns the job (null: no tenant: embedded CLI, anonymous gateway, admin).</summary>
    [Id(21)] public string? Tenant { get; init; }
}
