using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Copies a state dict (name → tensor, any device and floating dtype) into a module's parameters and persistent
/// buffers, strictly: a missing key, an unexpected key or a shape mismatch is an error that names the keys.
/// Values are converted to each parameter's device and dtype. Nothing is copied unless every key matches.
/// </summary>
public static class StateDictBinder
{
    /// <param name="what">Names the source in error messages (e.g. the checkpoint path).</param>
    public static void Bind(torch.nn.Module module, IReadOnlyDictionary<string, torch.Tensor> weights, string what = "checkpoint")
    {
        var targets = module.state_dict();
        var missing = targets.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !targets.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var misShaped = targets
            .Where(kv => weights.TryGetValue(kv.Key, out var w) && !w.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"'{kv.Key}' is [{string.Join(", ", weights[kv.Key].shape)}], the model needs [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        var notFloat = targets
            .Where(kv => weights.TryGetValue(kv.Key, out var w) && kv.Value.is_floating_point() && !w.is_floating_point())
            .Select(kv => $"'{kv.Key}' has dtype {weights[kv.Key].dtype}, the model needs a floating-point tensor")
            .ToList();
        if (missing.Count + unexpected.Count + misShaped.Count + notFloat.Count > 0)
        {
            var lines = new List<string>();
            if (missing.Count > 0) lines.Add($"missing {missing.Count} key(s): {List(missing)}");
            if (unexpected.Count > 0) lines.Add($"unexpected {unexpected.Count} key(s): {List(unexpected)}");
            lines.AddRange(misShaped);
            lines.AddRange(notFloat);
            throw new InvalidDataException($"{what} does not match the model ({module.GetName()}): {string.Join("; ", lines)}.");
        }
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in targets)
            target.copy_(weights[name]);
    }

    private static string List(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(10).Select(k => $"'{k}'")) + (keys.Count > 10 ? $" and {keys.Count - 10} more" : "");
}
