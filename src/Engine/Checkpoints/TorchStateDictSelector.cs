namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Finds the state dict inside an unpickled torch.save object and flattens it to name -> tensor. The memo lets a
/// pickle reference one dict from many places (or from itself), so the walks bound their depth and visit each
/// dict once: a hostile file cannot overflow the stack or make the work grow exponentially.
/// </summary>
internal static class TorchStateDictSelector
{
    private const int MaxDepth = 32;

    public static (PickleDict Node, string? Chosen) Select(object? root, string? sub, string path)
    {
        if (root is TensorRef) throw new InvalidDataException($"{path}: holds a single tensor, not a state dict.");
        if (root is not PickleDict dict) throw new InvalidDataException($"{path}: holds a {Describe(root)}, not a state dict.");

        if (sub != null)
        {
            object? node = dict;
            foreach (var part in sub.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (node is not PickleDict d || !d.TryGet(part, out node))
                    throw new InvalidDataException($"{path}: has no sub-dictionary '{sub}'. Top-level keys: {Keys(dict)}.");
            }
            return node is PickleDict selected
                ? (selected, sub)
                : throw new InvalidDataException($"{path}: '{sub}' is a {Describe(node)}, not a dictionary of tensors.");
        }

        if (dict.TryGet(CheckpointSelection.PreferredSubDictionary, out var ema) && ema is PickleDict emaDict)
            return (emaDict, CheckpointSelection.PreferredSubDictionary);
        if (dict.Items.Any(kv => kv.Value is TensorRef)) return (dict, null);

        var examined = new HashSet<PickleDict>(ReferenceEqualityComparer.Instance);
        var candidates = dict.Items.Where(kv => kv.Value is PickleDict d && HoldsTensors(d, path, 1, examined)).ToList();
        return candidates.Count switch
        {
            0 => throw new InvalidDataException($"{path}: contains no tensors. Top-level keys: {Keys(dict)}."),
            1 => ((PickleDict)candidates[0].Value!, candidates[0].Key.ToString()),
            _ => throw new InvalidDataException(
                $"{path}: holds several state dicts ({string.Join(", ", candidates.Select(c => c.Key))}); choose one with CheckpointSelection.SubDictionary."),
        };
    }

    /// <summary>Tensor leaves of nested dicts, keys joined with '.'; non-tensor values (step counters, configs) are skipped.</summary>
    public static List<KeyValuePair<string, TensorRef>> Flatten(PickleDict node, string path)
    {
        var result = new List<KeyValuePair<string, TensorRef>>();
        Walk(node, "", result, path, 0, new HashSet<PickleDict>(ReferenceEqualityComparer.Instance) { node });
        return result;
    }

    private static void Walk(PickleDict d, string prefix, List<KeyValuePair<string, TensorRef>> into, string path, int depth, HashSet<PickleDict> visited)
    {
        CheckDepth(depth, path);
        foreach (var (k, v) in d.Items)
        {
            var name = prefix + k;
            if (v is TensorRef t) into.Add(new(name, t));
            else if (v is PickleDict inner)
            {
                if (!visited.Add(inner))
                    throw new InvalidDataException($"{path}: the dictionary at '{name}' also appears elsewhere in the state dict (a shared or cyclic reference); a state dict is a tree.");
                Walk(inner, name + ".", into, path, depth + 1, visited);
            }
        }
    }

    private static bool HoldsTensors(PickleDict d, string path, int depth, HashSet<PickleDict> examined)
    {
        CheckDepth(depth, path);
        if (!examined.Add(d)) return false; // already looked into (or an ancestor of itself)
        return d.Items.Any(kv => kv.Value is TensorRef || (kv.Value is PickleDict inner && HoldsTensors(inner, path, depth + 1, examined)));
    }

    private static void CheckDepth(int depth, string path)
    {
        if (depth > MaxDepth) throw new InvalidDataException($"{path}: dictionaries nested deeper than {MaxDepth} levels.");
    }

    private static string Keys(PickleDict d) => d.Count == 0 ? "(none)" : string.Join(", ", d.Items.Take(20).Select(kv => kv.Key));

    private static string Describe(object? o) => o switch
    {
        null => "None",
        List<object?> => "list",
        object?[] => "tuple",
        _ => o.GetType().Name,
    };
}
