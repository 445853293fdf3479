namespace HiStream.Gateway.Jobs;

/// <summary>What a job may ask for (configuration section <c>Gateway:Limits</c>) and the defaults of an item.</summary>
public sealed class GatewayLimits
{
    public const string Section = "Gateway:Limits";

    public int MaxPromptChars { get; set; } = 2000;
    public int MaxFrames { get; set; } = 481;
    public int MaxSide { get; set; } = 2048;
    public int MaxItems { get; set; } = 10_000_000;
    public int MaxTags { get; set; } = 32;
    public int ManifestPageSize { get; set; } = 1000;
    /// <summary>Validation errors listed in one answer (the scan stops after this many).</summary>
    public int MaxErrors { get; set; } = 20;

    public int DefaultWidth { get; set; } = 832;
    public int DefaultHeight { get; set; } = 480;
    public int DefaultFrames { get; set; } = 81;
    public string DefaultSampler { get; set; } = "self-forcing";
}
