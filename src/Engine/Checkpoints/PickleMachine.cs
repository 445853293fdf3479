using System.Buffers.Binary;
using System.Text;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// A pickle interpreter for the subset of opcodes that a PyTorch state dict uses. It never imports or runs
/// Python classes: GLOBAL names are checked against <see cref="TorchPickleGlobals"/> and REDUCE only applies
/// the allow-listed rebuild functions, so an unknown class or function is refused before anything happens.
/// </summary>
internal sealed class PickleMachine
{
    private readonly byte[] _data;
    private readonly string _source;
    private readonly Func<object?, object> _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    private PickleMachine(byte[] data, string source, Func<object?, object> persistentLoad)
    {
        _data = data;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    /// <param name="source">Names the pickle in error messages (file and record).</param>
    /// <param name="persistentLoad">Resolves a BINPERSID id (a storage reference in PyTorch archives).</param>
    public static object? Load(byte[] data, string source, Func<object?, object> persistentLoad)
        => new PickleMachine(data, source, persistentLoad).Run();

    private object? Run()
    {
        while (true)
        {
            int at = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break; // PROTO
                case 0x95: ReadBytes(8); break; // FRAME: the frame length only matters for buffered readers
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw Error(at, $"STOP with {_stack.Count} values on the stack");
                    return _stack[0];
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x8a: Push(ReadLong(at, ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(at, ReadLength(4, at))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': Push(ReadUtf8(ReadLength(4, at), at)); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte(), at)); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8, at), at)); break; // BINUNICODE8
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4, at)))); break; // BINSTRING
                case (byte)'C': Push(ReadBytes(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': Push(ReadBytes(ReadLength(4, at)).ToArray()); break; // BINBYTES
                case 0x85: Push(PopTuple(1, at)); break; // TUPLE1
                case 0x86: Push(PopTuple(2, at)); break; // TUPLE2
                case 0x87: Push(PopTuple(3, at)); break; // TUPLE3
                case (byte)'t': Push(PopToMark(at).ToArray()); break; // TUPLE
                case (byte)'l': Push(PopToMark(at)); break; // LIST
                case (byte)'d': Push(DictFrom(PopToMark(at), at)); break; // DICT
                case (byte)'a': // APPEND
                {
                    var v = Pop(at);
                    AsList(Peek(at), at).Add(v);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopToMark(at);
                    AsList(Peek(at), at).AddRange(items);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var v = Pop(at);
                    var k = Pop(at);
                    AsDict(Peek(at), at).Set(Key(k, at), v);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopToMark(at);
                    if (items.Count % 2 != 0) throw Error(at, "SETITEMS with an odd number of values");
                    var dict = AsDict(Peek(at), at);
                    for (int i = 0; i < items.Count; i += 2) dict.Set(Key(items[i], at), items[i + 1]);
                    break;
                }
                case (byte)'0': Pop(at); break; // POP
                case (byte)'1': PopToMark(at); break; // POP_MARK
                case (byte)'2': Push(Peek(at)); break; // DUP
                case (byte)'q': _memo[ReadByte()] = Peek(at); break; // BINPUT
                case (byte)'r': _memo[ReadMemoIndex()] = Peek(at); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(at); break; // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadByte(), at)); break; // BINGET
                case (byte)'j': Push(MemoGet(ReadMemoIndex(), at)); break; // LONG_BINGET
                case (byte)'c': // GLOBAL
                {
                    var module = ReadLine(at);
                    var name = ReadLine(at);
                    Push(TorchPickleGlobals.Resolve(module, name, _source));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(at) as string ?? throw Error(at, "STACK_GLOBAL name is not a string");
                    var module = Pop(at) as string ?? throw Error(at, "STACK_GLOBAL module is not a string");
                    Push(TorchPickleGlobals.Resolve(module, name, _source));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop(at) as object?[] ?? throw Error(at, "REDUCE arguments are not a tuple");
                    var callable = Pop(at) as PickleGlobal ?? throw Error(at, "REDUCE target is not an allowed global");
                    Push(TorchPickleGlobals.Call(callable, args, _source));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop(at);
                    TorchPickleGlobals.Build(Peek(at), state, _source);
                    break;
                }
                case (byte)'Q': Push(_persistentLoad(Pop(at))); break; // BINPERSID
                default:
                    throw Error(at, $"opcode 0x{op:x2} ('{(op >= 32 && op < 127 ? (char)op : '?')}') is not supported in a state-dict pickle");
            }
        }
    }

    private void Push(object? o) => _stack.Add(o);

    private object? Peek(int at) => _stack.Count > 0 && (_marks.Count == 0 || _marks.Peek() < _stack.Count)
        ? _stack[^1]
        : throw Error(at, "stack underflow");

    private object? Pop(int at)
    {
        var o = Peek(at);
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private List<object?> PopToMark(int at)
    {
        if (_marks.Count == 0) throw Error(at, "no MARK on the stack");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private object?[] PopTuple(int n, int at)
    {
        var t = new object?[n];
        for (int i = n - 1; i >= 0; i--) t[i] = Pop(at);
        return t;
    }

    private object? MemoGet(long key, int at)
        => _memo.TryGetValue(key, out var v) ? v : throw Error(at, $"memo key {key} was never stored");

    private PickleDict DictFrom(List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Error(at, "DICT with an odd number of values");
        var d = new PickleDict();
        for (int i = 0; i < items.Count; i += 2) d.Set(Key(items[i], at), items[i + 1]);
        return d;
    }

    private object Key(object? k, int at) => k switch
    {
        string or long or bool or double => k,
        object?[] t => string.Join(",", t), // tuple keys are never tensor names; keep them addressable
        _ => throw Error(at, $"unsupported dict key type {k?.GetType().Name ?? "None"}"),
    };

    private List<object?> AsList(object? o, int at) => o as List<object?> ?? throw Error(at, "APPEND target is not a list");

    private PickleDict AsDict(object? o, int at) => o as PickleDict ?? throw Error(at, "SETITEM target is not a dict");

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error(_pos, "unexpected end of the pickle (truncated file?)");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadBytes(long n)
    {
        if (n < 0 || _pos + n > _data.Length) throw Error(_pos, "unexpected end of the pickle (truncated file?)");
        var s = new ReadOnlySpan<byte>(_data, _pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private int ReadLength(int width, int at)
    {
        var b = ReadBytes(width);
        long n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b);
        if (n < 0 || n > _data.Length) throw Error(at, $"length {n} runs past the end of the pickle");
        return (int)n;
    }

    /// <summary>Any 32-bit index is valid; the memo is a dictionary, so a huge one costs no memory.</summary>
    private long ReadMemoIndex() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    private long ReadLong(int at, int n)
    {
        if (n > 8) throw Error(at, $"integer of {n} bytes does not fit in 64 bits");
        var b = ReadBytes(n);
        if (n == 0) return 0;
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement sign
        return v;
    }

    private string ReadUtf8(int n, int at)
    {
        try { return new UTF8Encoding(false, true).GetString(ReadBytes(n)); }
        catch (DecoderFallbackException) { throw Error(at, "string is not valid UTF-8"); }
    }

    private string ReadLine(int at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Error(at, "unterminated GLOBAL name");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private InvalidDataException Error(int at, string what) => new($"{_source}: bad pickle at byte {at}: {what}.");
}
