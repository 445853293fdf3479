using System.Buffers.Binary;
using System.Text;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>Writes pickle opcodes by hand, to build torch.save-like archives that exercise the loader's corners.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = new();

    public PickleBuilder Op(byte op) { _b.Add(op); return this; }
    public PickleBuilder Proto(byte version) => Op(0x80).Op(version);
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder Build() => Op((byte)'b');
    public PickleBuilder PersId() => Op((byte)'Q');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder Memoize() => Op(0x94);
    public PickleBuilder Stop() => Op((byte)'.');

    public PickleBuilder Frame(long length)
    {
        Op(0x95);
        Span<byte> s = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(s, length);
        _b.AddRange(s.ToArray());
        return this;
    }

    public PickleBuilder Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        if (bytes.Length < 256) { Op(0x8c).Op((byte)bytes.Length); }
        else
        {
            Op((byte)'X');
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(len, bytes.Length);
            _b.AddRange(len.ToArray());
        }
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder Int(long v)
    {
        if (v >= 0 && v < 256) return Op((byte)'K').Op((byte)v);
        if (v >= int.MinValue && v <= int.MaxValue)
        {
            Op((byte)'J');
            Span<byte> s = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(s, (int)v);
            _b.AddRange(s.ToArray());
            return this;
        }
        Op(0x8a).Op(8);
        Span<byte> l = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        _b.AddRange(l.ToArray());
        return this;
    }

    public PickleBuilder Ints(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>Protocol-2 GLOBAL (module and name on their own lines).</summary>
    public PickleBuilder Global(string module, string name)
    {
        Op((byte)'c');
        _b.AddRange(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    /// <summary>Protocol-4 STACK_GLOBAL.</summary>
    public PickleBuilder StackGlobal(string module, string name) => Str(module).Str(name).Op(0x93);

    /// <summary>_rebuild_tensor_v2(('storage', torch.&lt;type&gt;, key, 'cpu', numel), offset, size, stride, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageType, string key, long storageNumel, long offset, long[] size, long[] stride, bool stackGlobal = false)
    {
        if (stackGlobal) StackGlobal("torch._utils", "_rebuild_tensor_v2"); else Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage");
        if (stackGlobal) StackGlobal("torch", storageType); else Global("torch", storageType);
        Str(key).Str("cpu").Int(storageNumel).Tuple().PersId();
        Int(offset).Ints(size).Ints(stride).False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => _b.ToArray();
}
