using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// The allow-list of Python names a state-dict pickle may reference, and what each one builds. Anything else
/// (os.system, builtins.eval, a custom class...) is refused when its GLOBAL opcode is read.
/// </summary>
internal static class TorchPickleGlobals
{
    private static readonly IReadOnlyDictionary<string, torch.ScalarType> StorageTypes = new Dictionary<string, torch.ScalarType>
    {
        ["FloatStorage"] = torch.ScalarType.Float32,
        ["DoubleStorage"] = torch.ScalarType.Float64,
        ["HalfStorage"] = torch.ScalarType.Float16,
        ["BFloat16Storage"] = torch.ScalarType.BFloat16,
        ["LongStorage"] = torch.ScalarType.Int64,
        ["IntStorage"] = torch.ScalarType.Int32,
        ["ShortStorage"] = torch.ScalarType.Int16,
        ["CharStorage"] = torch.ScalarType.Int8,
        ["ByteStorage"] = torch.ScalarType.Byte,
        ["BoolStorage"] = torch.ScalarType.Bool,
        ["UntypedStorage"] = torch.ScalarType.Byte,
    };

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    };

    public static PickleGlobal Resolve(string module, string name, string source)
    {
        var g = new PickleGlobal(module, name);
        bool allowed = Functions.Contains(g.ToString()) || (module == "torch" && StorageTypes.ContainsKey(name));
        if (!allowed)
            throw new InvalidDataException(
                $"{source}: refusing to load: the pickle references '{g}', which is not part of a tensor state dict. " +
                "Only OrderedDict, torch tensors/parameters and torch storages are allowed; no Python code is ever run. " +
                "Re-save the checkpoint as a plain state dict (or as safetensors).");
        return g;
    }

    public static bool TryStorageType(PickleGlobal g, out torch.ScalarType dtype)
    {
        dtype = default;
        return g.Module == "torch" && StorageTypes.TryGetValue(g.Name, out dtype);
    }

    public static object Call(PickleGlobal f, object?[] args, string source)
    {
        switch (f.ToString())
        {
            case "collections.OrderedDict":
                return OrderedDict(args, source);
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                // (storage, storage_offset, size, stride, [requires_grad, backward_hooks, [metadata]])
                if (args.Length < 4) throw Bad(source, f, "needs at least 4 arguments");
                var storage = args[0] as StorageRef ?? throw Bad(source, f, "argument 0 is not a storage");
                var offset = Int(args[1], source, f);
                var shape = Ints(args[2], source, f);
                var strides = Ints(args[3], source, f);
                if (shape.Length != strides.Length) throw Bad(source, f, $"size has {shape.Length} dims, stride has {strides.Length}");
                return CheckBounds(new TensorRef(storage, offset, shape, strides), source);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                // (data, requires_grad, backward_hooks, [state]): a Parameter is its data for loading purposes
                return args.Length > 0 && args[0] is TensorRef t ? t : throw Bad(source, f, "argument 0 is not a tensor");
            default:
                throw new InvalidDataException($"{source}: refusing to call '{f}'.");
        }
    }

    /// <summary>BUILD sets attributes: OrderedDict._metadata (module versions) and tensor/parameter state are ignored.</summary>
    public static void Build(object? target, object? state, string source)
    {
        if (target is PickleDict or TensorRef) return;
        throw new InvalidDataException($"{source}: refusing BUILD on a {target?.GetType().Name ?? "None"}: only dicts and tensors may carry state.");
    }

    private static PickleDict OrderedDict(object?[] args, string source)
    {
        var d = new PickleDict();
        if (args.Length == 0) return d;
        if (args.Length == 1 && args[0] is List<object?> pairs)
        {
            foreach (var p in pairs)
            {
                if (p is not object?[] { Length: 2 } kv || kv[0] is null)
                    throw new InvalidDataException($"{source}: OrderedDict argument is not a list of (key, value) pairs.");
                d.Set(kv[0]!, kv[1]);
            }
            return d;
        }
        throw new InvalidDataException($"{source}: unsupported OrderedDict arguments.");
    }

    /// <summary>
    /// The view must stay inside its storage and hold no more elements than it: an expanded (stride 0) view of a
    /// tiny storage would otherwise become gigabytes when made contiguous. Checked arithmetic: a huge size times
    /// a huge stride must not wrap around to a small index.
    /// </summary>
    private static TensorRef CheckBounds(TensorRef t, string source)
    {
        if (t.StorageOffset < 0 || t.Shape.Any(s => s < 0) || t.Strides.Any(s => s < 0))
            throw new InvalidDataException($"{source}: tensor view has a negative offset, size or stride.");
        string view = $"tensor view (offset {t.StorageOffset}, size [{string.Join(",", t.Shape)}], stride [{string.Join(",", t.Strides)}])";
        long count, last;
        try
        {
            count = t.Shape.Aggregate(1L, (a, b) => checked(a * b));
            if (count == 0) return t;
            last = t.StorageOffset;
            for (int i = 0; i < t.Shape.Length; i++) last = checked(last + (t.Shape[i] - 1) * t.Strides[i]);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{source}: {view} overflows 64-bit element indices.");
        }
        if (last >= t.Storage.ElementCount)
            throw new InvalidDataException($"{source}: {view} reaches element {last} of storage '{t.Storage.Key}', which has {t.Storage.ElementCount}.");
        if (count > t.Storage.ElementCount)
            throw new InvalidDataException(
                $"{source}: {view} has {count} elements, more than its storage '{t.Storage.Key}' holds ({t.Storage.ElementCount}): " +
                "an expanded or overlapping view. Re-save it with .contiguous().");
        return t;
    }

    private static long Int(object? o, string source, PickleGlobal f)
        => o is long v ? v : throw Bad(source, f, $"expected an integer, got {o?.GetType().Name ?? "None"}");

    private static long[] Ints(object? o, string source, PickleGlobal f)
        => o is object?[] t ? t.Select(x => Int(x, source, f)).ToArray() : throw Bad(source, f, "expected a tuple of integers");

    private static InvalidDataException Bad(string source, PickleGlobal f, string what) => new($"{source}: {f}: {what}.");
}
