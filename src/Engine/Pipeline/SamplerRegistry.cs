using System.Globalization;
using HiStream.Engine.Caching;
using HiStream.Engine.Models;
using HiStream.Engine.Sampling;

namespace HiStream.Engine.Pipeline;

/// <summary>The samplers a pipeline can run, by name, and their options (string key/value pairs from a job
/// manifest). Validation throws <see cref="ArgumentException"/> naming the sampler option, so a gateway can refuse a
/// bad job before it is queued.</summary>
public static class SamplerRegistry
{
    public const string SelfForcing = "self-forcing";

    /// <summary>Option keys of the self-forcing sampler.</summary>
    public static IReadOnlyList<string> SelfForcingKeys { get; } = ["steps", "framesPerChunk", "localAttentionFrames", "sinkFrames", "contextNoise", "shift", "warpSteps"];

    public static IReadOnlyList<string> Names { get; } = [SelfForcing];

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks a sampler name and its options without building anything.</summary>
    public static void Validate(string name, IReadOnlyDictionary<string, string> options)
    {
        if (!IsKnown(name)) throw new ArgumentException($"Unknown sampler '{name}'. Available: {string.Join(", ", Names)}.");
        ParseSelfForcing(options, "cpu", "float32");
    }

    /// <summary>Latent frames per chunk the sampler will use (for planning and memory estimates).</summary>
    public static int FramesPerChunk(string name, IReadOnlyDictionary<string, string> options) =>
        options.TryGetValue("framesPerChunk", out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : 3;

    public static VideoPipeline.SamplerFactory Factory(string name, WanDiT model, string device, string dtype) => name switch
    {
        SelfForcing => options => new SelfForcingSampler(model, ParseSelfForcing(options, device, dtype)),
        _ => throw new ArgumentException($"Unknown sampler '{name}'."),
    };

    public static SelfForcingOptions ParseSelfForcing(IReadOnlyDictionary<string, string> options, string device, string dtype)
    {
        var o = new SelfForcingOptions { Device = device, DType = dtype };
        int local = -1, sink = 0;
        foreach (var (key, value) in options)
        {
            switch (key)
            {
                case "steps":
                    o = o with { DenoisingSteps = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => Int(key, s)).ToArray() };
                    break;
                case "framesPerChunk": o = o with { FramesPerChunk = Int(key, value) }; break;
                case "localAttentionFrames": local = Int(key, value); break;
                case "sinkFrames": sink = Int(key, value); break;
                case "contextNoise": o = o with { ContextNoise = (float)Number(key, value) }; break;
                case "shift": o = o with { TimestepShift = Number(key, value) }; break;
                case "warpSteps": o = o with { WarpDenoisingSteps = Bool(key, value) }; break;
                default:
                    throw new ArgumentException($"Sampler option '{key}' is not an option of {SelfForcing} (options: {string.Join(", ", SelfForcingKeys)}).");
            }
        }
        o = o with { Window = new KvWindow(local, sink) };
        try
        {
            return o.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Sampler options: {ex.Message}", ex);
        }
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"Sampler option '{key}' must be an integer, got '{value}'.");

    private static double Number(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw new ArgumentException($"Sampler option '{key}' must be a number, got '{value}'.");

    private static bool Bool(string key, string value) =>
        bool.TryParse(value, out var v) ? v : throw new ArgumentException($"Sampler option '{key}' must be true or false, got '{value}'.");
}
