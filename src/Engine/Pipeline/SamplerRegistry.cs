using System.Globalization;
using HiStream.Engine.Sampling;

namespace HiStream.Engine.Pipeline;

/// <summary>The engine's samplers by name (<see cref="SamplerFactory"/>) with their options as string key/value pairs
/// from a job manifest. Validation throws <see cref="ArgumentException"/> naming the option, so a gateway can refuse
/// a bad job before it is queued.</summary>
public static class SamplerRegistry
{
    public const string SelfForcing = SamplerFactory.SelfForcing;

    /// <summary>Options of wan-bidirectional (the chunk samplers take <see cref="HiStreamSettingsOptions.Keys"/>).</summary>
    public static IReadOnlyList<string> BidirectionalKeys { get; } = ["steps", "shift", "guidanceScale", "classifierFreeGuidance", "solver"];

    public static IReadOnlyList<string> Names => SamplerFactory.Names;

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks a sampler name and its options without building anything.</summary>
    public static void Validate(string name, IReadOnlyDictionary<string, string> options)
    {
        var key = Key(name);
        if (key == SamplerFactory.WanBidirectional) ParseBidirectional(options);
        else ParseChunked(key, options);
    }

    /// <summary>Width and height must be multiples of this: 16 (VAE ×8, patch ×2), times the low-resolution factor
    /// for the dual-resolution samplers (their low-resolution pass must also fit the patch grid).</summary>
    public static int PixelMultiple(string name, IReadOnlyDictionary<string, string> options)
    {
        var key = Key(name);
        if (key is SamplerFactory.WanBidirectional or SamplerFactory.SelfForcing) return 16;
        return 16 * Math.Max(1, ParseChunked(key, options).LowResolutionFactor);
    }

    /// <summary>The chunk sampler's settings after its options, or null for wan-bidirectional (no chunks).</summary>
    public static HiStreamSettings? ChunkSettings(string name, IReadOnlyDictionary<string, string> options)
    {
        var key = Key(name);
        return key == SamplerFactory.WanBidirectional ? null : ParseChunked(key, options);
    }

    /// <summary>Checks a video's latent shape by the same rules the sampler applies when it runs (chunk multiple,
    /// patch grid, low-resolution grid); throws <see cref="ArgumentException"/>.</summary>
    public static void ValidateShape(string name, IReadOnlyDictionary<string, string> options, int latentFrames, int latentHeight, int latentWidth)
    {
        if (ChunkSettings(name, options) is { } chunked) chunked.ValidateShape(latentFrames, latentHeight, latentWidth);
        else WanBidirectionalSettings.ValidateShape(latentFrames, latentHeight, latentWidth);
    }

    public static IVideoSampler Create(string name, SamplerModels models, IReadOnlyDictionary<string, string> options)
    {
        var key = Key(name);
        if (key == SamplerFactory.WanBidirectional) return new WanBidirectionalSampler(models.Bidirectional, ParseBidirectional(options));
        if (options.Count == 0) return SamplerFactory.Create(key, models);
        return new HiStreamSampler(models.Causal, ParseChunked(key, options), key);
    }

    private static string Key(string name) =>
        IsKnown(name) ? name.Trim().ToLowerInvariant() : throw new ArgumentException($"Unknown sampler '{name}'. Available: {string.Join(", ", Names)}.");

    private static HiStreamSettings ParseChunked(string key, IReadOnlyDictionary<string, string> options)
    {
        var baseline = key switch
        {
            SamplerFactory.HiStream => HiStreamSettings.HiStream,
            SamplerFactory.HiStreamPlus => HiStreamSettings.HiStreamPlus,
            _ => HiStreamSettings.SelfForcingReference,
        };
        try
        {
            return HiStreamSettingsOptions.Parse(baseline, options);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{key} options: {ex.Message}", ex);
        }
    }

    private static WanBidirectionalSettings ParseBidirectional(IReadOnlyDictionary<string, string> options)
    {
        var s = WanBidirectionalSettings.Default;
        foreach (var (key, value) in options)
        {
            s = key switch
            {
                "steps" => s with { Steps = Int(key, value) },
                "shift" => s with { Shift = Number(key, value) },
                "guidanceScale" => s with { GuidanceScale = Number(key, value) },
                "classifierFreeGuidance" => s with { ClassifierFreeGuidance = Bool(key, value) },
                "solver" => s with
                {
                    Solver = Enum.TryParse<FlowSolver>(value, ignoreCase: true, out var solver) ? solver
                        : throw new ArgumentException($"Sampler option 'solver' must be one of {string.Join(", ", Enum.GetNames<FlowSolver>())}, got '{value}'."),
                },
                _ => throw new ArgumentException($"Sampler option '{key}' is not an option of {SamplerFactory.WanBidirectional} (options: {string.Join(", ", BidirectionalKeys)})."),
            };
        }
        try
        {
            s.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{SamplerFactory.WanBidirectional} options: {ex.Message}", ex);
        }
        return s;
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"Sampler option '{key}' must be an integer, got '{value}'.");

    private static double Number(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw new ArgumentException($"Sampler option '{key}' must be a number, got '{value}'.");

    private static bool Bool(string key, string value) =>
        bool.TryParse(value, out var v) ? v : throw new ArgumentException($"Sampler option '{key}' must be true or false, got '{value}'.");
}
