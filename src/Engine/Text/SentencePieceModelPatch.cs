namespace HiStream.Engine.Text;

/// <summary>
/// Rewrites a SentencePiece ModelProto so Microsoft.ML.Tokenizers 2.0.1 reads T5-style models correctly:
/// a negative trainer_spec.bos_id (T5 has no BOS) makes it throw, so it is set to pad_id (BOS is never added here);
/// byte-fallback pieces (type BYTE) get ids 255 too high, so they are marked NORMAL and found by their "&lt;0xNN&gt;" text.
/// Only the protobuf wire format is touched; every other field is copied byte for byte.
/// </summary>
internal static class SentencePieceModelPatch
{
    private const int ModelPieces = 1, ModelTrainerSpec = 2;
    private const int PieceType = 3, PieceTypeNormal = 1, PieceTypeByte = 6;
    private const int TrainerBosId = 41, TrainerPadId = 43, TrainerUnkId = 40, TrainerEosId = 42;

    /// <summary>Ids and flags read from the model, for the tokenizer's bookkeeping.</summary>
    public sealed record Info(int PieceCount, int UnkId, int EosId, int PadId, int BosId, int BytePieces);

    public static byte[] Apply(byte[] model, string source, out Info info)
    {
        var fields = Parse(model, source, "ModelProto");
        int pieces = 0, bytePieces = 0;
        long unk = 0, bos = 1, eos = 2, pad = -1; // sentencepiece defaults
        var output = new List<byte>(model.Length);
        foreach (var f in fields)
        {
            if (f.Number == ModelPieces && f.WireType == 2)
            {
                pieces++;
                var inner = Parse(f.Payload, source, "SentencePiece");
                bool isByte = inner.Any(p => p.Number == PieceType && p.WireType == 0 && p.Varint == PieceTypeByte);
                if (isByte)
                {
                    bytePieces++;
                    var patched = inner.Select(p => p.Number == PieceType && p.WireType == 0 ? p with { Varint = PieceTypeNormal } : p);
                    WriteLengthDelimited(output, f.Number, Serialize(patched));
                    continue;
                }
            }
            else if (f.Number == ModelTrainerSpec && f.WireType == 2)
            {
                var inner = Parse(f.Payload, source, "TrainerSpec");
                foreach (var p in inner.Where(p => p.WireType == 0))
                {
                    if (p.Number == TrainerUnkId) unk = (int)p.Varint;
                    else if (p.Number == TrainerBosId) bos = (int)p.Varint;
                    else if (p.Number == TrainerEosId) eos = (int)p.Varint;
                    else if (p.Number == TrainerPadId) pad = (int)p.Varint;
                }
                if (bos < 0)
                {
                    long replacement = pad >= 0 ? pad : unk;
                    var patched = inner.Where(p => p.Number != TrainerBosId).Append(new Field(TrainerBosId, 0, replacement, Array.Empty<byte>(), Array.Empty<byte>()));
                    WriteLengthDelimited(output, f.Number, Serialize(patched));
                    continue;
                }
            }
            output.AddRange(f.Raw);
        }
        if (pieces == 0) throw new InvalidDataException($"{source}: not a SentencePiece model (no pieces).");
        info = new Info(pieces, (int)unk, (int)eos, (int)pad, (int)bos, bytePieces);
        return output.ToArray();
    }

    /// <param name="Raw">The whole field as it appeared (tag + value), for verbatim copies.</param>
    private sealed record Field(int Number, int WireType, long Varint, byte[] Payload, byte[] Raw);

    private static List<Field> Parse(byte[] data, string source, string message)
    {
        var fields = new List<Field>();
        int pos = 0;
        while (pos < data.Length)
        {
            int start = pos;
            ulong tag = ReadVarint(data, ref pos, source, message);
            int number = (int)(tag >> 3), wire = (int)(tag & 7);
            long varint = 0;
            byte[] payload = Array.Empty<byte>();
            switch (wire)
            {
                case 0: varint = (long)ReadVarint(data, ref pos, source, message); break;
                case 1: Skip(data, ref pos, 8, source, message); break;
                case 5: Skip(data, ref pos, 4, source, message); break;
                case 2:
                    ulong len = ReadVarint(data, ref pos, source, message);
                    if (len > (ulong)(data.Length - pos)) throw Corrupt(source, message);
                    payload = data.AsSpan(pos, (int)len).ToArray();
                    pos += (int)len;
                    break;
                default: throw new InvalidDataException($"{source}: unsupported protobuf wire type {wire} in {message} (not a SentencePiece model?).");
            }
            fields.Add(new Field(number, wire, varint, payload, data.AsSpan(start, pos - start).ToArray()));
        }
        return fields;
    }

    private static byte[] Serialize(IEnumerable<Field> fields)
    {
        var o = new List<byte>();
        foreach (var f in fields)
        {
            if (f.WireType == 0)
            {
                WriteVarint(o, (ulong)(f.Number << 3));
                WriteVarint(o, (ulong)f.Varint); // negative int32 values use the 10-byte two's complement form, as protobuf does
            }
            else o.AddRange(f.Raw);
        }
        return o.ToArray();
    }

    private static void WriteLengthDelimited(List<byte> o, int number, byte[] payload)
    {
        WriteVarint(o, (ulong)((number << 3) | 2));
        WriteVarint(o, (ulong)payload.Length);
        o.AddRange(payload);
    }

    private static void WriteVarint(List<byte> o, ulong v)
    {
        while (v >= 0x80)
        {
            o.Add((byte)(v | 0x80));
            v >>= 7;
        }
        o.Add((byte)v);
    }

    private static ulong ReadVarint(byte[] data, ref int pos, string source, string message)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw Corrupt(source, message);
            byte b = data[pos++];
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw Corrupt(source, message);
    }

    private static void Skip(byte[] data, ref int pos, int n, string source, string message)
    {
        if (pos + n > data.Length) throw Corrupt(source, message);
        pos += n;
    }

    private static InvalidDataException Corrupt(string source, string message) => new($"{source}: truncated or corrupt protobuf in {message} (not a SentencePiece model?).");
}
