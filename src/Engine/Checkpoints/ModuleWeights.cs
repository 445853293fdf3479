using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Strict copying of a state dict into a TorchSharp module: every module key must be present with the same shape,
/// and the state dict must have no other keys. Values are copied into the existing parameters, so they keep the
/// module's device and dtype.
/// </summary>
public static class ModuleWeights
{
    public static void LoadStrict(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var targets = module.state_dict();
        Check(targets, stateDict.Keys, name => stateDict[name].shape, "state dict");
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in targets) target.copy_(stateDict[name]);
    }

    /// <summary>Streams tensors one at a time from the file into the module (peak memory: the module plus one tensor).</summary>
    public static void LoadStrict(nn.Module module, CheckpointFile file)
    {
        var targets = module.state_dict();
        Check(targets, file.Tensors.Select(t => t.Name), name => file.Info(name).Shape, file.Path);
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in targets)
        {
            using var value = file.Read(name);
            target.copy_(value);
        }
    }

    private static void Check(Dictionary<string, Tensor> targets, IEnumerable<string> available, Func<string, long[]> shapeOf, string what)
    {
        var have = available.ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (!have.Contains(name)) { problems.Add($"missing key '{name}'"); continue; }
            var shape = shapeOf(name);
            if (!shape.SequenceEqual(target.shape))
                problems.Add($"key '{name}' has shape [{string.Join(",", shape)}], the module needs [{string.Join(",", target.shape)}]");
        }
        foreach (var name in have.Where(n => !targets.ContainsKey(n)).Order(StringComparer.Ordinal))
            problems.Add($"unexpected key '{name}'");
        if (problems.Count > 0)
            throw new InvalidDataException(
                $"{what} does not match the module ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " +
                string.Join("; ", problems.Take(12)) + (problems.Count > 12 ? "; ..." : "") + ".");
    }
}
