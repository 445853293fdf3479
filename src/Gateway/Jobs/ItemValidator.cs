using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Rendering;
using HiStream.Engine.Pipeline;

namespace HiStream.Gateway.Jobs;

/// <summary>Checks one manifest item against the limits and against what the engine will require
/// (<see cref="RenderAdmission"/>: frames per chunk, size multiples, option ranges, device memory on the largest
/// silo), fills defaults and normalises it to a <see cref="JobItem"/>. Errors name the field: <c>{prefix}.width</c>.</summary>
public sealed partial class ItemValidator(GatewayLimits limits, RenderAdmission admission)
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ItemIdPattern();

    [GeneratedRegex(@"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")]
    private static partial Regex SizePattern();

    public JobItem? Validate(ItemSpec spec, ItemSpec defaults, int index, string prefix, List<KeyValuePair<string, string>> errors)
    {
        int before = errors.Count;
        void Error(string field, string message) => errors.Add(new($"{prefix}.{field}", message));

        var id = spec.Id;
        if (id is not null && !ItemIdPattern().IsMatch(id))
            Error("id", $"'{Clip(id)}' is not a valid item id (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit).");

        var prompt = spec.Prompt ?? defaults.Prompt;
        if (string.IsNullOrWhiteSpace(prompt)) Error("prompt", "is empty.");
        else if (prompt.Length > limits.MaxPromptChars) Error("prompt", $"has {prompt.Length} characters; the limit is {limits.MaxPromptChars}.");

        int width = limits.DefaultWidth, height = limits.DefaultHeight;
        var size = spec.Size ?? (spec.Width is null && spec.Height is null ? defaults.Size : null);
        if (size is not null)
        {
            var m = SizePattern().Match(size);
            if (!m.Success) Error("size", $"'{Clip(size)}' is not WIDTHxHEIGHT (e.g. 832x480).");
            else
            {
                width = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                height = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }
        else
        {
            width = spec.Width ?? defaults.Width ?? width;
            height = spec.Height ?? defaults.Height ?? height;
        }
        string? sizeField = size is not null ? "size" : null;
        CheckSide(width, sizeField ?? "width", Error);
        CheckSide(height, sizeField ?? "height", Error);

        int frames = spec.Frames ?? defaults.Frames ?? limits.DefaultFrames;
        if (frames < 1) Error("frames", $"is {frames}; it must be at least 1.");
        else if (frames > limits.MaxFrames) Error("frames", $"is {frames}; the limit is {limits.MaxFrames}.");

        var sampler = (spec.Sampler ?? defaults.Sampler ?? limits.DefaultSampler).Trim().ToLowerInvariant();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in new[] { defaults.SamplerOptions, spec.SamplerOptions })
            if (source is not null)
                foreach (var (key, value) in source)
                    options[key] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        if (errors.Count == before)
            foreach (var problem in admission.Check(width, height, frames, sampler, options))
                Error(problem.Field == "size" ? sizeField ?? "width" : problem.Field, problem.Message);

        if (errors.Count > before) return null;
        long seed = spec.Seed ?? defaults.Seed ?? DefaultSeed(index, prompt!);
        return new JobItem(index, id ?? "", new RenderSettings(prompt!.Trim(), seed, width, height, frames, sampler, options));
    }

    private void CheckSide(int value, string field, Action<string, string> error)
    {
        if (value < 16 || value > limits.MaxSide) error(field, $"{value} is outside 16..{limits.MaxSide}.");
        else if (value % 16 != 0) error(field, $"{value} is not a multiple of 16 (the VAE downsamples by 8 and the DiT patches by 2).");
    }

    /// <summary>A seed that depends only on the item's position and prompt, so a resubmission renders the same video.</summary>
    public static long DefaultSeed(int index, string prompt) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{index}\n{prompt}")), 0) & int.MaxValue;

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
