using HiStream.Engine.Pipeline;
using HiStream.Grains.Hosting;

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

    /// <summary>Device memory (GiB) of the largest silo the farm is configured for: an item whose estimate (with its
    /// own options, after the weights and <c>Farm:ReserveFraction</c>) exceeds it is refused at submit. Unset:
    /// <c>Farm:DeviceMemoryGiB</c>, else 80.</summary>
    public double? LargestSiloMemoryGiB { get; set; }

    /// <summary>The admission rules for the model <paramref name="engine"/> describes on the largest silo.</summary>
    public RenderAdmission Admission(PipelineOptions engine, FarmOptions farm)
    {
        double gib = LargestSiloMemoryGiB ?? farm.DeviceMemoryGiB ?? 80;
        return RenderAdmission.For(engine, (long)(gib * (1L << 30)), farm.ReserveFraction);
    }
}
