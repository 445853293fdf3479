using System.Text;
using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>Checks a state dict against the decoder's keys: which keys are ignored, unknown, missing or misshapen.</summary>
internal static class WanVaeWeightBinding
{
    private const int NamesShown = 12;

    /// <summary>Keys of WanVAE_ that belong to the encoder side and are not used for decoding.</summary>
    public static bool IsEncoderKey(string key) =>
        key.StartsWith("encoder.", StringComparison.Ordinal) || key is "conv1.weight" or "conv1.bias";

    /// <returns>null when the dict fits, else a description naming the offending keys.</returns>
    public static string? Check(WanVaeDecoderModel model, IReadOnlyDictionary<string, torch.Tensor> stateDict)
    {
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape, StringComparer.Ordinal);
        var unknown = stateDict.Keys.Where(k => !expected.ContainsKey(k) && !IsEncoderKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var misshapen = expected
            .Where(e => stateDict.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value))
            .Select(e => $"{e.Key} is [{string.Join(",", stateDict[e.Key].shape)}], expected [{string.Join(",", e.Value)}]")
            .ToList();
        var notFloat = expected.Keys
            .Where(k => stateDict.TryGetValue(k, out var t) && !t.is_floating_point())
            .Select(k => $"{k} has dtype {stateDict[k].dtype}")
            .ToList();
        if (unknown.Count == 0 && missing.Count == 0 && misshapen.Count == 0 && notFloat.Count == 0) return null;
        var sb = new StringBuilder();
        Append(sb, "missing decoder keys", missing);
        Append(sb, "unknown keys", unknown);
        Append(sb, "shape mismatches", misshapen);
        Append(sb, "non-float tensors", notFloat);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string what, List<string> items)
    {
        if (items.Count == 0) return;
        if (sb.Length > 0) sb.Append("; ");
        sb.Append(items.Count).Append(' ').Append(what).Append(": ").Append(string.Join(", ", items.Take(NamesShown)));
        if (items.Count > NamesShown) sb.Append(", …");
    }
}
