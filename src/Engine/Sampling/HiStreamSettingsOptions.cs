using System.Globalization;

namespace HiStream.Engine.Sampling;

/// <summary>
/// <see cref="HiStreamSettings"/> from string key/value options (a job manifest, a CLI), each key named after the
/// setting. Step plans are "L+H" (counts: low steps from the head of the schedule, high from its tail) or
/// "i,j|k,l" (explicit low | high schedule indices). Errors name the option and list the valid keys or values.
/// </summary>
public static class HiStreamSettingsOptions
{
    public static IReadOnlyList<string> Keys { get; } =
    [
        "framesPerChunk", "lowResolutionFactor", "upsample", "downsample", "ntkScale", "ntkAxes", "anchorFrames",
        "neighbourFrames", "window", "slidingWindow", "firstChunk", "laterChunks", "refreshHighCache", "refreshLowCache",
        "refreshAfterLastChunk", "temporalPositions",
    ];

    /// <summary>Applies <paramref name="options"/> on top of <paramref name="baseline"/> and validates the result.</summary>
    public static HiStreamSettings Parse(HiStreamSettings baseline, IReadOnlyDictionary<string, string> options)
    {
        var s = baseline;
        foreach (var (key, value) in options)
        {
            s = key switch
            {
                "framesPerChunk" => s with { FramesPerChunk = Int(key, value) },
                "lowResolutionFactor" => s with { LowResolutionFactor = Int(key, value) },
                "upsample" => s with { Upsample = Enum<LatentUpsampleMode>(key, value) },
                "downsample" => s with { Downsample = Enum<LatentDownsampleMode>(key, value) },
                "ntkScale" => s with { NtkScale = value.Equals("auto", StringComparison.OrdinalIgnoreCase) ? null : Number(key, value) },
                "ntkAxes" => s with { NtkAxes = Axes(key, value) },
                "anchorFrames" => s with { AnchorFrames = Int(key, value) },
                "neighbourFrames" => s with { NeighbourFrames = Int(key, value) },
                "window" => s with { Window = Int(key, value) },
                "slidingWindow" => s with { SlidingWindow = Bool(key, value) },
                "firstChunk" => s with { FirstChunk = Plan(key, value) },
                "laterChunks" => s with { LaterChunks = Plan(key, value) },
                "refreshHighCache" => s with { RefreshHighCache = Bool(key, value) },
                "refreshLowCache" => s with { RefreshLowCache = Bool(key, value) },
                "refreshAfterLastChunk" => s with { RefreshAfterLastChunk = Bool(key, value) },
                "temporalPositions" => s with { TemporalPositions = Enum<TemporalPositionPolicy>(key, value) },
                _ => throw new ArgumentException($"'{key}' is not a HiStream option (options: {string.Join(", ", Keys)}).", key),
            };
        }
        try
        {
            s.Validate();
        }
        catch (ArgumentException ex) when (GivenOption(options, ex.ParamName) is { } key)
        {
            throw new ArgumentException($"HiStream option '{key}' = '{options[key]}': {ex.Message}", key, ex);
        }
        return s;
    }

    /// <summary>The option key the caller gave for a setting a validation error names (its param name is the setting,
    /// or "HiStreamSettings.Setting" for the step plans), or null.</summary>
    private static string? GivenOption(IReadOnlyDictionary<string, string> options, string? setting)
    {
        if (setting is null) return null;
        var name = setting[(setting.LastIndexOf('.') + 1)..];
        return options.Keys.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase));
    }

    private static ChunkStepPlan Plan(string key, string value)
    {
        var v = value.Replace(" ", "", StringComparison.Ordinal);
        if (v.Contains('|', StringComparison.Ordinal))
        {
            var parts = v.Split('|');
            if (parts.Length != 2) throw Bad(key, value, "explicit plans are 'low indices|high indices', e.g. '0|3'");
            return ChunkStepPlan.Indices(Ints(key, parts[0]), Ints(key, parts[1]));
        }
        var counts = v.Split('+');
        if (counts.Length != 2) throw Bad(key, value, "a plan is 'low+high' step counts (e.g. '2+2') or 'low indices|high indices' (e.g. '0|3')");
        return ChunkStepPlan.Counts(Int(key, counts[0]), Int(key, counts[1]));
    }

    private static int[] Ints(string key, string list) =>
        list.Length == 0 ? [] : list.Split(',').Select(x => Int(key, x)).ToArray();

    private static RopeAxes Axes(string key, string value)
    {
        var axes = RopeAxes.None;
        foreach (var a in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            axes |= a.ToLowerInvariant() switch
            {
                "time" or "frame" => RopeAxes.Time,
                "height" => RopeAxes.Height,
                "width" => RopeAxes.Width,
                "none" => RopeAxes.None,
                _ => throw Bad(key, value, "axes are a comma list of time, height, width (or none)"),
            };
        return axes;
    }

    private static T Enum<T>(string key, string value) where T : struct, Enum =>
        System.Enum.TryParse<T>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var v) && System.Enum.IsDefined(v)
            ? v
            : throw Bad(key, value, $"valid values: {string.Join(", ", System.Enum.GetNames<T>())}");

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(key, value, "expected an integer");

    private static double Number(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw Bad(key, value, "expected a number or 'auto'");

    private static bool Bool(string key, string value) =>
        bool.TryParse(value, out var v) ? v : throw Bad(key, value, "expected true or false");

    private static ArgumentException Bad(string key, string value, string what) => new($"HiStream option '{key}' = '{value}': {what}.", key);
}
