using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace HiStream.Engine.Text;

/// <summary>Token ids for one prompt: the real tokens followed by EOS, at most the maximum length.</summary>
/// <param name="Truncated">The prompt had more tokens than fit; the tail was dropped (EOS is kept).</param>
public sealed record TokenizedPrompt(int[] Ids, bool Truncated, int UntruncatedLength);

/// <summary>
/// umT5's tokenizer: a SentencePiece Unigram model (spiece.model) read by Microsoft.ML.Tokenizers after
/// <see cref="SentencePieceModelPatch"/>. As T5 does: no BOS, EOS "&lt;/s&gt;" appended, pad 0 / eos 1 / unk 2
/// (read from the model), truncation keeps the first maxLength-1 tokens and the EOS.
/// </summary>
public sealed class T5Tokenizer
{
    private const string DemoResource = "HiStream.Engine.Text.Resources.demo-spiece.model";
    private readonly SentencePieceTokenizer _spm;
    private readonly string[] _pieces;

    private T5Tokenizer(byte[] modelBytes, string source, string id)
    {
        var patched = SentencePieceModelPatch.Apply(modelBytes, source, out var info);
        if (info.EosId < 0) throw new InvalidDataException($"{source}: the SentencePiece model has no EOS piece; T5 needs one.");
        try
        {
            using var ms = new MemoryStream(patched);
            _spm = SentencePieceTokenizer.Create(ms, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source}: cannot load the SentencePiece model: {ex.Message}", ex);
        }
        VocabSize = info.PieceCount;
        _pieces = new string[info.PieceCount];
        foreach (var (piece, pieceId) in _spm.Vocabulary)
            if (pieceId >= 0 && pieceId < _pieces.Length) _pieces[pieceId] = piece;
        EosId = info.EosId;
        PadId = Math.Max(info.PadId, 0);
        UnkId = info.UnkId;
        ModelId = id;
    }

    /// <summary>"spm:" plus the first 16 hex digits of the model file's SHA-256 (or "builtin-demo-spm:..." for the demo).</summary>
    public string ModelId { get; }

    public int VocabSize { get; }
    public int EosId { get; }
    public int PadId { get; }
    public int UnkId { get; }

    /// <summary>Loads a spiece.model file (e.g. google/umt5-xxl/spiece.model inside the Wan2.1 checkpoint folder).</summary>
    public static T5Tokenizer FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer model '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        return new T5Tokenizer(bytes, path, "spm:" + Hash(bytes));
    }

    /// <summary>
    /// The small SentencePiece model built into the engine (851 pieces, trained on a few multilingual sentences) for the
    /// seeded-random demo text encoder. It is not umT5's vocabulary.
    /// </summary>
    public static T5Tokenizer BuiltInDemo()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(DemoResource)
            ?? throw new InvalidOperationException($"Embedded resource {DemoResource} is missing from the engine assembly.");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        var bytes = ms.ToArray();
        return new T5Tokenizer(bytes, "built-in demo tokenizer", "builtin-demo-spm:" + Hash(bytes));
    }

    /// <summary>Raw SentencePiece ids (normalisation included, no EOS, no truncation).</summary>
    public IReadOnlyList<int> EncodeRaw(string text) => _spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);

    /// <summary>Ids with EOS appended, cut to <paramref name="maxLength"/> (EOS included) when longer.</summary>
    public TokenizedPrompt Tokenize(string text, int maxLength)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "maxLength must leave room for EOS.");
        var raw = EncodeRaw(text);
        int keep = Math.Min(raw.Count, maxLength - 1);
        var ids = new int[keep + 1];
        for (int i = 0; i < keep; i++) ids[i] = raw[i];
        ids[keep] = EosId;
        return new TokenizedPrompt(ids, raw.Count > keep, raw.Count + 1);
    }

    /// <summary>
    /// Text of the ids (EOS/pad dropped). Done here rather than by the library because the patched byte pieces are
    /// ordinary pieces to it: runs of "&lt;0xNN&gt;" are reassembled into UTF-8 here.
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            sb.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var id in ids)
        {
            if (id == EosId || id == PadId) continue;
            if (id < 0 || id >= _pieces.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary (0..{_pieces.Length - 1}).");
            var piece = _pieces[id];
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
                && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            sb.Append(id == UnkId ? " \u2047 " : piece);
        }
        Flush();
        return sb.ToString().Replace('\u2581', ' ').TrimStart(' ');
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
}
