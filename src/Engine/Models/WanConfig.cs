using System.Text.Json;

namespace HiStream.Engine.Models;

/// <summary>
/// Architecture of a Wan2.1 diffusion transformer (bidirectional <c>WanModel</c> or Self-Forcing's
/// <c>CausalWanModel</c>; both share this config and the state-dict layout). JSON uses the reference's own
/// constructor argument names, as in Wan's <c>config.json</c> and the fixtures' <c>config</c> objects.
/// </summary>
public sealed record WanConfig
{
    public int Dim { get; init; } = 2048;
    public int FfnDim { get; init; } = 8192;
    public int FreqDim { get; init; } = 256;
    public int TextDim { get; init; } = 4096;
    public int TextLen { get; init; } = 512;
    public int InDim { get; init; } = 16;
    public int OutDim { get; init; } = 16;
    public int NumHeads { get; init; } = 16;
    public int NumLayers { get; init; } = 32;
    /// <summary>(t, h, w) patch size of the input Conv3d (kernel = stride).</summary>
    public PatchSize PatchSize { get; init; } = new(1, 2, 2);
    public double Eps { get; init; } = 1e-6;
    public bool QkNorm { get; init; } = true;
    public bool CrossAttnNorm { get; init; } = true;

    public int HeadDim => Dim / NumHeads;

    /// <summary>Channels the head emits per token (out_dim · prod(patch)).</summary>
    public int HeadOutDim => OutDim * PatchSize.T * PatchSize.H * PatchSize.W;

    /// <summary>Tokens of one latent frame of <paramref name="latentHeight"/>×<paramref name="latentWidth"/>
    /// ((H/patch_h)·(W/patch_w): 1560 at 480p, 8160 at 1088p for the 1.3B model).</summary>
    public int TokensPerFrame(int latentHeight, int latentWidth)
    {
        if (latentHeight <= 0 || latentWidth <= 0 || latentHeight % PatchSize.H != 0 || latentWidth % PatchSize.W != 0)
            throw new ArgumentException($"Latent size {latentHeight}x{latentWidth} must be positive and divisible by the patch size ({PatchSize.H}, {PatchSize.W}).");
        return latentHeight / PatchSize.H * (latentWidth / PatchSize.W);
    }

    /// <summary>Wan2.1-T2V-1.3B (the Self-Forcing base model).</summary>
    public static WanConfig Wan2_1_T2V_1_3B { get; } = new()
    {
        Dim = 1536, FfnDim = 8960, FreqDim = 256, TextDim = 4096, TextLen = 512, InDim = 16, OutDim = 16,
        NumHeads = 12, NumLayers = 30, Eps = 1e-6,
    };

    /// <summary>The tiny model of the reference fixtures (head_dim 24); used by tests and seeded-random demos.</summary>
    public static WanConfig Tiny { get; } = new()
    {
        Dim = 48, FfnDim = 96, FreqDim = 32, TextDim = 32, TextLen = 16, InDim = 16, OutDim = 16,
        NumHeads = 2, NumLayers = 2, Eps = 1e-6,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public WanConfig Validate()
    {
        static void Positive(int value, string field)
        {
            if (value <= 0) throw new ArgumentException($"Wan config: {field} must be positive, got {value}.");
        }
        Positive(Dim, "dim");
        Positive(FfnDim, "ffn_dim");
        Positive(FreqDim, "freq_dim");
        Positive(TextDim, "text_dim");
        Positive(TextLen, "text_len");
        Positive(InDim, "in_dim");
        Positive(OutDim, "out_dim");
        Positive(NumHeads, "num_heads");
        Positive(NumLayers, "num_layers");
        Positive(PatchSize.T, "patch_size[0]");
        Positive(PatchSize.H, "patch_size[1]");
        Positive(PatchSize.W, "patch_size[2]");
        if (FreqDim % 2 != 0) throw new ArgumentException($"Wan config: freq_dim must be even (cos and sin halves), got {FreqDim}.");
        if (Dim % NumHeads != 0) throw new ArgumentException($"Wan config: dim ({Dim}) must be divisible by num_heads ({NumHeads}).");
        if (HeadDim % 2 != 0) throw new ArgumentException($"Wan config: head_dim = dim/num_heads = {HeadDim} must be even for RoPE (num_heads {NumHeads}).");
        if (HeadDim < 6) throw new ArgumentException($"Wan config: head_dim = dim/num_heads = {HeadDim} is too small for 3D RoPE (needs at least 6; num_heads {NumHeads}).");
        if (!(Eps > 0) || double.IsInfinity(Eps)) throw new ArgumentException($"Wan config: eps must be a positive number, got {Eps}.");
        if (!QkNorm) throw new ArgumentException("Wan config: qk_norm false is not supported (every released Wan2.1 checkpoint uses true).");
        if (!CrossAttnNorm) throw new ArgumentException("Wan config: cross_attn_norm false is not supported (every released Wan2.1 checkpoint uses true).");
        return this;
    }

    public static WanConfig FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Wan config file '{path}' does not exist.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return FromJson(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Wan config file '{path}' is not valid JSON: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a JSON object with the reference argument names. Missing fields take the reference
    /// <c>WanModel</c> defaults; fields starting with '_' (diffusers bookkeeping) are ignored, and so are the
    /// causal cache arguments (<c>local_attn_size</c>, <c>sink_size</c>: see <see cref="Caching.KvWindow"/>).</summary>
    public static WanConfig FromJson(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new ArgumentException("Wan config: expected a JSON object.");
        var c = new WanConfig();
        foreach (var p in json.EnumerateObject())
        {
            switch (p.Name)
            {
                case "dim": c = c with { Dim = Int(p) }; break;
                case "ffn_dim": c = c with { FfnDim = Int(p) }; break;
                case "freq_dim": c = c with { FreqDim = Int(p) }; break;
                case "text_dim": c = c with { TextDim = Int(p) }; break;
                case "text_len": c = c with { TextLen = Int(p) }; break;
                case "in_dim": c = c with { InDim = Int(p) }; break;
                case "out_dim": c = c with { OutDim = Int(p) }; break;
                case "num_heads": c = c with { NumHeads = Int(p) }; break;
                case "num_layers": c = c with { NumLayers = Int(p) }; break;
                case "eps": c = c with { Eps = Number(p) }; break;
                case "qk_norm": c = c with { QkNorm = Bool(p) }; break;
                case "cross_attn_norm": c = c with { CrossAttnNorm = Bool(p) }; break;
                case "patch_size":
                    var ps = IntArray(p, 3);
                    c = c with { PatchSize = new PatchSize(ps[0], ps[1], ps[2]) };
                    break;
                case "model_type":
                    var type = p.Value.GetString();
                    if (type != "t2v")
                        throw new ArgumentException($"Wan config: model_type '{type}' is not supported (only 't2v'; i2v/flf2v/vace need image conditioning).");
                    break;
                case "window_size":
                    var ws = IntArray(p, 2);
                    if (ws[0] != -1 || ws[1] != -1)
                        throw new ArgumentException($"Wan config: window_size [{ws[0]}, {ws[1]}] is not supported (only [-1, -1], global attention).");
                    break;
                case "local_attn_size" or "sink_size":
                    break;
                default:
                    if (!p.Name.StartsWith('_'))
                        throw new ArgumentException($"Wan config: unknown field '{p.Name}'.");
                    break;
            }
        }
        return c.Validate();
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model_type"] = "t2v",
        ["patch_size"] = new[] { PatchSize.T, PatchSize.H, PatchSize.W },
        ["text_len"] = TextLen, ["in_dim"] = InDim, ["dim"] = Dim, ["ffn_dim"] = FfnDim, ["freq_dim"] = FreqDim,
        ["text_dim"] = TextDim, ["out_dim"] = OutDim, ["num_heads"] = NumHeads, ["num_layers"] = NumLayers,
        ["qk_norm"] = QkNorm, ["cross_attn_norm"] = CrossAttnNorm, ["eps"] = Eps,
    });

    private static int Int(JsonProperty p)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var v))
            throw new ArgumentException($"Wan config: {p.Name} must be an integer, got {p.Value.GetRawText()}.");
        return v;
    }

    private static double Number(JsonProperty p)
    {
        if (p.Value.ValueKind != JsonValueKind.Number)
            throw new ArgumentException($"Wan config: {p.Name} must be a number, got {p.Value.GetRawText()}.");
        return p.Value.GetDouble();
    }

    private static bool Bool(JsonProperty p) => p.Value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ArgumentException($"Wan config: {p.Name} must be true or false, got {p.Value.GetRawText()}."),
    };

    private static int[] IntArray(JsonProperty p, int length)
    {
        if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() != length
            || p.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out _)))
            throw new ArgumentException($"Wan config: {p.Name} must be an array of {length} integers, got {p.Value.GetRawText()}.");
        return p.Value.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}

/// <summary>Patch size of the patch-embedding Conv3d, (frames, rows, columns).</summary>
public readonly record struct PatchSize(int T, int H, int W);
