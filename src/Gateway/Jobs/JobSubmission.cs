using System.Text.Json;
using System.Text.Json.Serialization;

namespace HiStream.Gateway.Jobs;

/// <summary>POST /jobs: prompts inline (<see cref="Items"/>) or a JSONL manifest already in blob storage
/// (<see cref="Manifest"/>). <see cref="Defaults"/> fill what an item leaves out.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class JobSubmission
{
    /// <summary>Optional; lower-case letters, digits and '-'. When absent the id is derived from the content, so the
    /// same submission twice is the same job.</summary>
    public string? JobId { get; set; }
    /// <summary>Higher runs first (−1000..1000, default 0); first-come within a priority.</summary>
    public int Priority { get; set; }
    public List<string>? Tags { get; set; }
    public OutputSpec? Output { get; set; }
    public ItemSpec? Defaults { get; set; }
    public List<ItemSpec>? Items { get; set; }
    public ManifestReference? Manifest { get; set; }
    /// <summary>Optional http(s) URL, POSTed an HMAC-signed notification when the job finishes.</summary>
    public string? Webhook { get; set; }
    /// <summary>Optional: items that have not started by then fail (ISO 8601 time, in the future).</summary>
    public DateTimeOffset? Deadline { get; set; }
}

/// <summary>One video. Size as <c>"WxH"</c> or width/height (pixels, multiples of 16); frames are pixel frames
/// (1 + 4·k, e.g. 81); seed defaults to a hash of the prompt and position.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ItemSpec
{
    public string? Id { get; set; }
    public string? Prompt { get; set; }
    public long? Seed { get; set; }
    public string? Size { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public int? Frames { get; set; }
    public string? Sampler { get; set; }
    public Dictionary<string, JsonElement>? SamplerOptions { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class OutputSpec
{
    public string? Container { get; set; }
    public string? Prefix { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ManifestReference
{
    public string? Container { get; set; }
    public string? Name { get; set; }
}

/// <summary>The job-level part of a submission (everything but the items). <see cref="Area"/>: the tenant that submits
/// it and where its files must stay (null: no tenant, the embedded CLI or an admin); <see cref="Budget"/>: how many
/// items its quotas still allow.</summary>
public sealed record JobOptions(string? JobId, int Priority, IReadOnlyList<string> Tags, string? Container, string? Prefix, ItemSpec Defaults,
    HiStream.Gateway.Security.TenantArea? Area = null, HiStream.Gateway.Security.ItemBudget? Budget = null)
{
    public DateTimeOffset? Deadline { get; init; }
    public string? Webhook { get; init; }
}
