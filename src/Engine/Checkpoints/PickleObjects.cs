using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>A Python dict or OrderedDict from a pickle, in insertion order.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(object key, out object? value)
    {
        if (_index.TryGetValue(key, out int i)) { value = _items[i].Value; return true; }
        value = null;
        return false;
    }
}

/// <summary>A class or function named by GLOBAL / STACK_GLOBAL; only allow-listed names are ever created.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A persistent id ('storage', type, key, location, numel): one raw storage record of the archive.</summary>
internal sealed record StorageRef(string Key, torch.ScalarType DType, long ElementCount, string Location);

/// <summary>A tensor as _rebuild_tensor_v2 describes it: a strided view into a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long StorageOffset, long[] Shape, long[] Strides)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
