using HiStream.Engine.Checkpoints;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>The .pt/.pth files written by PyTorch's own torch.save must equal the case's weights.safetensors.</summary>
public sealed class FixtureCheckpointTests
{
    private static string Case(string name) => Path.Combine(ReferenceCases.CommittedRoot, name);

    [Theory]
    [InlineData("wan-dit-tiny", "weights.pt")]
    [InlineData("wan-vae-decoder-tiny", "weights.pth")]
    [InlineData("causal-wan-tiny-full", "self_forcing_checkpoint.pt")]
    public void TorchSaveFileEqualsSafetensorsExactly(string caseName, string file)
    {
        var expected = SafeTensorsFile.Load(Path.Combine(Case(caseName), "weights.safetensors"));
        var actual = CheckpointLoader.LoadStateDict(Path.Combine(Case(caseName), file));
        AssertSameTensors(expected, actual, (e, a) => e.SameBits(a));
    }

    [Fact]
    public void SelfForcingCheckpointPicksGeneratorEmaAndStripsModelPrefix()
    {
        using var f = CheckpointLoader.Open(Path.Combine(Case("causal-wan-tiny-full"), "self_forcing_checkpoint.pt"));
        Assert.Equal(CheckpointFormat.PyTorchZip, f.Format);
        Assert.Equal("generator_ema", f.SubDictionary);
        Assert.Contains(f.Tensors, t => t.Name == "blocks.0.self_attn.q.weight" && t.SourceName == "model.blocks.0.self_attn.q.weight");
        Assert.DoesNotContain(f.Tensors, t => t.Name.StartsWith("model.", StringComparison.Ordinal));
    }

    [Fact]
    public void SelectingGeneratorGivesTwiceTheEmaWeights()
    {
        var path = Path.Combine(Case("causal-wan-tiny-full"), "self_forcing_checkpoint.pt");
        var ema = CheckpointLoader.LoadStateDict(path);
        var gen = CheckpointLoader.LoadStateDict(path, new CheckpointSelection(SubDictionary: "generator"));
        AssertSameTensors(ema, gen, (e, g) => (e * 2).SameBits(g));
        Assert.False(ema["blocks.0.self_attn.q.weight"].SameBits(gen["blocks.0.self_attn.q.weight"]));
    }

    [Fact]
    public void KeysKeepTheirPrefixWhenNormalisationIsOff()
    {
        using var f = CheckpointLoader.Open(Path.Combine(Case("causal-wan-tiny-full"), "self_forcing_checkpoint.pt"),
            new CheckpointSelection(SubDictionary: "critic", NormalizeKeys: false));
        Assert.Equal("critic", f.SubDictionary);
        Assert.Equal(new[] { "model.blocks.0.extra.weight" }, f.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void UnknownSubDictionaryNamesTheAvailableOnes()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            CheckpointLoader.Open(Path.Combine(Case("causal-wan-tiny-full"), "self_forcing_checkpoint.pt"), new CheckpointSelection(SubDictionary: "ema")));
        Assert.Contains("'ema'", ex.Message);
        Assert.Contains("generator_ema", ex.Message);
    }

    [Fact]
    public void Bf16PthEqualsFloat32WeightsRoundedToNearestEven()
    {
        var f32 = SafeTensorsFile.Load(Path.Combine(Case("umt5-encoder-tiny"), "weights.safetensors"));
        var bf16 = CheckpointLoader.LoadStateDict(Path.Combine(Case("umt5-encoder-tiny"), "weights-bf16.pth"));
        Assert.Equal(f32.Keys.Order(), bf16.Keys.Order());
        foreach (var (name, t) in bf16)
        {
            Assert.Equal(torch.ScalarType.BFloat16, t.dtype);
            var source = f32[name].data<float>().ToArray();
            var stored = MemoryMarshalBits(t);
            Assert.Equal(source.Length, stored.Length);
            for (int i = 0; i < source.Length; i++)
                Assert.True(RoundToBf16(source[i]) == stored[i], $"{name}[{i}]: {source[i]} stored as 0x{stored[i]:x4}, expected 0x{RoundToBf16(source[i]):x4}");
        }
    }

    [Fact]
    public void DTypeSelectionConvertsFloatTensors()
    {
        var path = Path.Combine(Case("umt5-encoder-tiny"), "weights-bf16.pth");
        var asF32 = CheckpointLoader.LoadStateDict(path, new CheckpointSelection(DType: torch.ScalarType.Float32));
        var raw = CheckpointLoader.LoadStateDict(path);
        foreach (var (name, t) in asF32)
        {
            Assert.Equal(torch.ScalarType.Float32, t.dtype);
            Assert.True(t.SameBits(raw[name].to(torch.ScalarType.Float32)), name);
        }
    }

    /// <summary>float32 -> bfloat16 with round-to-nearest-even, on the bit pattern.</summary>
    private static ushort RoundToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static ushort[] MemoryMarshalBits(torch.Tensor bf16)
    {
        var bytes = bf16.contiguous().bytes.ToArray();
        var result = new ushort[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        return result;
    }

    private static void AssertSameTensors(Dictionary<string, torch.Tensor> expected, Dictionary<string, torch.Tensor> actual, Func<torch.Tensor, torch.Tensor, bool> same)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.True(e.shape.SequenceEqual(a.shape), $"{name}: shape [{string.Join(",", a.shape)}] vs [{string.Join(",", e.shape)}]");
            Assert.Equal(e.dtype, a.dtype);
            Assert.True(same(e, a), $"{name}: values differ");
        }
    }
}
