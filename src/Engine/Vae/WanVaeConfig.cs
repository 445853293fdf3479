using System.Text.Json;

namespace HiStream.Engine.Vae;

/// <summary>
/// Constructor arguments of Wan2.1's <c>WanVAE_</c> that shape the decoder (the reference's own names in JSON:
/// <c>dim</c>, <c>z_dim</c>, <c>dim_mult</c>, <c>num_res_blocks</c>, <c>attn_scales</c>, <c>temperal_downsample</c>).
/// </summary>
public sealed record WanVaeConfig
{
    public WanVaeConfig(int baseDim, int zDim, IReadOnlyList<int> dimMult, int numResBlocks, IReadOnlyList<bool> temporalDownsample)
    {
        if (baseDim <= 0) throw new ArgumentOutOfRangeException(nameof(baseDim), baseDim, "VAE base dim must be positive.");
        if (zDim <= 0) throw new ArgumentOutOfRangeException(nameof(zDim), zDim, "VAE z_dim must be positive.");
        if (dimMult.Count < 2 || dimMult.Any(m => m <= 0))
            throw new ArgumentException($"VAE dim_mult must hold at least two positive multipliers, got [{string.Join(",", dimMult)}].", nameof(dimMult));
        if (numResBlocks <= 0) throw new ArgumentOutOfRangeException(nameof(numResBlocks), numResBlocks, "VAE num_res_blocks must be positive.");
        if (temporalDownsample.Count != dimMult.Count - 1)
            throw new ArgumentException(
                $"VAE temperal_downsample needs {dimMult.Count - 1} flags (one per resample of dim_mult [{string.Join(",", dimMult)}]), got {temporalDownsample.Count}.",
                nameof(temporalDownsample));
        var dims = new[] { baseDim * dimMult[^1] }.Concat(dimMult.Reverse().Select(m => baseDim * m)).ToArray();
        for (int i = 0; i < dimMult.Count - 1; i++)
            if (dims[i + 1] % 2 != 0)
                throw new ArgumentException($"VAE stage width {dims[i + 1]} must be even: each resample halves it.", nameof(baseDim));
        BaseDim = baseDim;
        ZDim = zDim;
        DimMult = dimMult.ToArray();
        NumResBlocks = numResBlocks;
        TemporalDownsample = temporalDownsample.ToArray();
    }

    public int BaseDim { get; }
    public int ZDim { get; }
    public IReadOnlyList<int> DimMult { get; }
    public int NumResBlocks { get; }
    public IReadOnlyList<bool> TemporalDownsample { get; }

    /// <summary>The decoder mirrors the encoder: its temporal upsampling flags are the downsampling flags reversed.</summary>
    public IReadOnlyList<bool> TemporalUpsample => TemporalDownsample.Reverse().ToArray();

    /// <summary>Spatial factor between latent and pixels (8 for the real layout).</summary>
    public int SpatialScale => 1 << (DimMult.Count - 1);

    /// <summary>Pixel frames per latent frame after the first (4 for the real layout).</summary>
    public int TemporalScale => 1 << TemporalUpsample.Count(t => t);

    /// <summary>Wan2.1_VAE.pth: base dim 96.</summary>
    public static WanVaeConfig Wan21 { get; } = new(96, 16, [1, 2, 4, 4], 2, [false, true, true]);

    /// <summary>The real layout with base dim 8, as in the <c>wan-vae-decoder-tiny</c> reference fixture.</summary>
    public static WanVaeConfig Tiny { get; } = new(8, 16, [1, 2, 4, 4], 2, [false, true, true]);

    public static WanVaeConfig Preset(string name) => name.ToLowerInvariant() switch
    {
        "wan2.1" or "wan21" or "real" => Wan21,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"Unknown VAE preset '{name}'. Use 'wan2.1' or 'tiny'.", nameof(name)),
    };

    /// <summary>Reads the reference constructor arguments, either as the object itself or under a <c>config</c> property
    /// (the layout of a reference fixture's config.json). Missing fields take the Wan2.1 values.</summary>
    public static WanVaeConfig FromJson(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("config", out var inner) && inner.ValueKind == JsonValueKind.Object)
            element = inner;
        if (element.ValueKind != JsonValueKind.Object) throw new InvalidDataException("VAE config JSON must be an object.");
        var real = Wan21;
        int dim = GetInt(element, "dim") ?? real.BaseDim;
        int zDim = GetInt(element, "z_dim") ?? real.ZDim;
        int resBlocks = GetInt(element, "num_res_blocks") ?? real.NumResBlocks;
        var mult = element.TryGetProperty("dim_mult", out var m) ? m.EnumerateArray().Select(e => e.GetInt32()).ToArray() : real.DimMult.ToArray();
        var temporal = element.TryGetProperty("temperal_downsample", out var t) || element.TryGetProperty("temporal_downsample", out t)
            ? t.EnumerateArray().Select(e => e.GetBoolean()).ToArray()
            : real.TemporalDownsample.ToArray();
        if (element.TryGetProperty("attn_scales", out var attn) && attn.GetArrayLength() > 0)
            throw new NotSupportedException("VAE attn_scales other than [] are not supported (Wan2.1 uses none).");
        return new WanVaeConfig(dim, zDim, mult, resBlocks, temporal);
    }

    public static WanVaeConfig FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement);
    }

    public static WanVaeConfig FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"VAE config file '{path}' does not exist.", path);
        try
        {
            return FromJson(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"VAE config file '{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static int? GetInt(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetInt32() : null;

    public bool Equals(WanVaeConfig? other) =>
        other is not null && BaseDim == other.BaseDim && ZDim == other.ZDim && NumResBlocks == other.NumResBlocks
        && DimMult.SequenceEqual(other.DimMult) && TemporalDownsample.SequenceEqual(other.TemporalDownsample);

    public override int GetHashCode() => HashCode.Combine(BaseDim, ZDim, NumResBlocks, DimMult.Count);

    public override string ToString() =>
        $"WanVaeConfig(dim {BaseDim}, z_dim {ZDim}, dim_mult [{string.Join(",", DimMult)}], num_res_blocks {NumResBlocks}, temperal_downsample [{string.Join(",", TemporalDownsample)}])";
}
