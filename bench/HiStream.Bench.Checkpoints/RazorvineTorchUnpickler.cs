using System.Collections;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using TorchSharp;

namespace HiStream.Bench.Checkpoints;

internal sealed record RazorvineStorage(string Key, torch.ScalarType DType, long ElementCount);

internal sealed record RazorvineTensor(RazorvineStorage Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>
/// Razorvine's Unpickler taught torch.save's persistent ids and rebuild functions. Razorvine keeps its
/// constructor table in one static dictionary, so these registrations are process-wide (PyBridge writes
/// to the same table); any other module.name becomes a ClassDict instead of being refused.
/// </summary>
internal sealed class RazorvineTorchUnpickler : Unpickler
{
    static RazorvineTorchUnpickler()
    {
        registerConstructor("torch._utils", "_rebuild_tensor", new TensorConstructor());
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new TensorConstructor());
        registerConstructor("torch._utils", "_rebuild_parameter", new ParameterConstructor());
        registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
    }

    protected override object persistentLoad(object pid)
    {
        var t = (object[])pid;
        if ((string)t[0] != "storage") throw new InvalidDataException("unknown persistent id");
        var type = ((ClassDictConstructor)t[1]).name;
        return new RazorvineStorage((string)t[2], DType(type), Convert.ToInt64(t[4]));
    }

    private static torch.ScalarType DType(string storageType) => storageType switch
    {
        "FloatStorage" => torch.ScalarType.Float32,
        "DoubleStorage" => torch.ScalarType.Float64,
        "HalfStorage" => torch.ScalarType.Float16,
        "BFloat16Storage" => torch.ScalarType.BFloat16,
        "LongStorage" => torch.ScalarType.Int64,
        "IntStorage" => torch.ScalarType.Int32,
        "ByteStorage" => torch.ScalarType.Byte,
        "BoolStorage" => torch.ScalarType.Bool,
        _ => throw new InvalidDataException($"unsupported storage type {storageType}"),
    };

    private sealed class TensorConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new RazorvineTensor(
            (RazorvineStorage)args[0],
            Convert.ToInt64(args[1]),
            ((object[])args[2]).Select(Convert.ToInt64).ToArray(),
            ((object[])args[3]).Select(Convert.ToInt64).ToArray());
    }

    private sealed class ParameterConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args[0];
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new OrderedDict();
    }

    /// <summary>BUILD hands an OrderedDict its _metadata; the loader does not need it.</summary>
    private sealed class OrderedDict : Hashtable
    {
        public void __setstate__(Hashtable state) { }
    }
}
