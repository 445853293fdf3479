using System.Collections;
using TorchSharp;

namespace HiStream.Bench.Checkpoints;

/// <summary>Picks generator_ema out of a Hashtable-shaped unpickled checkpoint, as the engine does.</summary>
internal static class StateDictTables
{
    public const string PreferredSubDictionary = "generator_ema";

    public static Hashtable Select(object? root) => root switch
    {
        Hashtable t when t[PreferredSubDictionary] is Hashtable ema => ema,
        Hashtable t => t,
        _ => throw new InvalidDataException($"the pickle holds a {root?.GetType().Name ?? "None"}, not a dict"),
    };

    public static Dictionary<string, torch.Tensor> TensorsOf(Hashtable table, Func<object?, torch.Tensor?> asTensor)
    {
        var result = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in table)
            if (asTensor(e.Value) is { } t) result[(string)e.Key] = t;
        return result;
    }
}
