using System.Text.Json;
using HiStream.Engine.Models;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Models;

public sealed class WanConfigTests
{
    [Fact]
    public void Wan13BOnTheMetaDeviceHasTheReferenceSizeAndKeys()
    {
        using var model = new WanDiT(WanConfig.Wan2_1_T2V_1_3B, new torch.Device("meta"));
        var (parameters, tensors) = model.Size();
        Assert.Equal(1_418_996_800L, parameters);
        Assert.Equal(825, tensors);
        var sd = model.state_dict();
        Assert.Equal(825, sd.Count);
        Assert.Equal(new long[] { 1536, 16, 1, 2, 2 }, sd["patch_embedding.weight"].shape);
        Assert.Equal(new long[] { 1536, 4096 }, sd["text_embedding.0.weight"].shape);
        Assert.Equal(new long[] { 1536, 1536 }, sd["text_embedding.2.weight"].shape);
        Assert.Equal(new long[] { 1536, 256 }, sd["time_embedding.0.weight"].shape);
        Assert.Equal(new long[] { 9216, 1536 }, sd["time_projection.1.weight"].shape);
        Assert.Equal(new long[] { 1, 6, 1536 }, sd["blocks.29.modulation"].shape);
        Assert.Equal(new long[] { 1536 }, sd["blocks.0.self_attn.norm_q.weight"].shape);
        Assert.Equal(new long[] { 1536 }, sd["blocks.7.cross_attn.norm_k.weight"].shape);
        Assert.Equal(new long[] { 1536 }, sd["blocks.3.norm3.bias"].shape);
        Assert.Equal(new long[] { 8960, 1536 }, sd["blocks.12.ffn.0.weight"].shape);
        Assert.Equal(new long[] { 1536, 8960 }, sd["blocks.29.ffn.2.weight"].shape);
        Assert.Equal(new long[] { 1, 2, 1536 }, sd["head.modulation"].shape);
        Assert.Equal(new long[] { 64, 1536 }, sd["head.head.weight"].shape);
        // No C# field names (they start with "_") may leak into the key names.
        Assert.All(sd.Keys, k => Assert.DoesNotContain("._", "." + k));
    }

    [Fact]
    public void TokensPerFrameComeFromTheLatentGrid()
    {
        Assert.Equal(1560, WanConfig.Wan2_1_T2V_1_3B.TokensPerFrame(60, 104));
        Assert.Equal(8160, WanConfig.Wan2_1_T2V_1_3B.TokensPerFrame(136, 240));
        Assert.Equal(2040, WanConfig.Wan2_1_T2V_1_3B.TokensPerFrame(68, 120));
        Assert.Throws<ArgumentException>(() => WanConfig.Wan2_1_T2V_1_3B.TokensPerFrame(61, 104));
        using var cache = HiStream.Engine.Caching.KvCache.ForLatentGrid(WanConfig.Tiny, 1, 8, 12, HiStream.Engine.Caching.KvWindow.Global, 9, torch.CPU, torch.ScalarType.Float32);
        Assert.Equal(24, cache.TokensPerFrame);
        Assert.Equal(9 * 24, cache.CapacityTokens);
    }

    [Fact]
    public void TinyModelHasExactlyTheFixtureKeysAndShapes()
    {
        using var c = new ReferenceCase(FixtureModels.CaseNamed("wan-dit-tiny"));
        Assert.Equal(WanConfig.Tiny, FixtureModels.Config(c));
        var header = HiStream.Engine.Checkpoints.SafeTensorsFile.ReadHeader(c.WeightsPath, out _, out _);
        using var model = new WanDiT(WanConfig.Tiny, new torch.Device("meta"));
        var sd = model.state_dict();
        Assert.Equal(header.Select(e => e.Name).OrderBy(n => n, StringComparer.Ordinal), sd.Keys.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var e in header) Assert.Equal(e.Shape, sd[e.Name].shape);
    }

    [Fact]
    public void WanConfigJsonLoadsWithDefaultsForMissingFields()
    {
        // The fields of Wan2.1-T2V-1.3B's config.json; the rest take WanModel's defaults.
        const string json = """
            {"_class_name": "WanModel", "_diffusers_version": "0.30.0", "dim": 1536, "eps": 1e-06, "ffn_dim": 8960,
             "freq_dim": 256, "in_dim": 16, "model_type": "t2v", "num_heads": 12, "num_layers": 30, "out_dim": 16, "text_len": 512}
            """;
        var path = Path.Combine(Path.GetTempPath(), $"wan-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            Assert.Equal(WanConfig.Wan2_1_T2V_1_3B, WanConfig.FromJsonFile(path));
        }
        finally
        {
            File.Delete(path);
        }
        using var round = JsonDocument.Parse(WanConfig.Tiny.ToJson());
        Assert.Equal(WanConfig.Tiny, WanConfig.FromJson(round.RootElement));
    }

    [Theory]
    [InlineData("""{"dim": 50, "num_heads": 3}""", "num_heads")]
    [InlineData("""{"dim": 42, "num_heads": 2}""", "head_dim")]
    [InlineData("""{"dim": 48, "num_heads": 2, "ffn_dim": 0}""", "ffn_dim")]
    [InlineData("""{"freq_dim": 33}""", "freq_dim")]
    [InlineData("""{"eps": -1}""", "eps")]
    [InlineData("""{"text_len": "long"}""", "text_len")]
    [InlineData("""{"patch_size": [1, 2]}""", "patch_size")]
    [InlineData("""{"model_type": "i2v"}""", "model_type")]
    [InlineData("""{"window_size": [4, 4]}""", "window_size")]
    [InlineData("""{"num_layerz": 3}""", "num_layerz")]
    public void InvalidConfigsNameTheField(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);
        var ex = Assert.Throws<ArgumentException>(() => WanConfig.FromJson(doc.RootElement));
        Assert.Contains(field, ex.Message);
    }

    [Fact]
    public void MissingOrBrokenConfigFileIsAClearError()
    {
        Assert.Throws<FileNotFoundException>(() => WanConfig.FromJsonFile("/nonexistent/config.json"));
        var path = Path.Combine(Path.GetTempPath(), $"wan-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"dim\": 48,");
        try
        {
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => WanConfig.FromJsonFile(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
