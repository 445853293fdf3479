using HiStream.Engine.Checkpoints;
using HiStream.Engine.Tests.Checkpoints;
using HiStream.Engine.Tests.Reference;
using HiStream.Engine.Text;
using TorchSharp;
using Xunit.Abstractions;

namespace HiStream.Engine.Tests.Text;

public sealed class UmT5TextEncoderTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string TokenizerPath => Path.Combine(AppContext.BaseDirectory, "Text", "TestData", "multilingual.model");

    /// <summary>A random umT5 with the test tokenizer's vocabulary, saved with reference key names.</summary>
    private string SaveRandomCheckpoint(UmT5Config config, torch.ScalarType dtype, long seed = 5)
    {
        using var model = new UmT5EncoderModel(config, torch.ScalarType.Float32, torch.CPU);
        model.InitializeRandom(seed);
        var path = _dir.File($"umt5-{dtype}.safetensors");
        SafeTensorsFile.Save(path, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(dtype)));
        return path;
    }

    private static UmT5Config SmallConfig(int textLen = 64) => new(Vocab: 640, Dim: 32, DimAttn: 32, DimFfn: 48, NumHeads: 4, NumLayers: 2, TextLen: textLen);

    [Fact]
    public void XxlPresetHasTheReferenceParameterCount()
        => Assert.Equal(5_680_910_336L, UmT5Config.Xxl.ParameterCount);

    [Fact]
    public void EncodingOnlyRealTokensEqualsThePaddedMaskedReference()
    {
        using var c = new ReferenceCase(Path.Combine(ReferenceCases.CommittedRoot, "umt5-encoder-tiny"));
        using var model = new UmT5EncoderModel(UmT5ReferenceParityTests.ConfigOf(c), torch.ScalarType.Float32, torch.CPU);
        using (var f = CheckpointLoader.Open(c.WeightsPath)) ModuleWeights.LoadStrict(model, f);
        var call = c.Calls[1];
        var ids = c.Tensor(call, "ids");
        var mask = c.Tensor(call, "mask");
        using var padded = model.call(ids, mask);
        for (int b = 0; b < ids.shape[0]; b++)
        {
            long real = mask[b].sum().item<long>();
            using var alone = model.call(ids[b].narrow(0, 0, real).unsqueeze(0), null);
            ToleranceAssert.Close(padded[b].narrow(0, 0, real), alone[0], c.Atol, c.Rtol, $"row {b}"); // same math, other summation order
        }
    }

    [Fact]
    public void Bf16WeightsRunInBf16CloseToFloat32()
    {
        using var c = new ReferenceCase(Path.Combine(ReferenceCases.CommittedRoot, "umt5-encoder-tiny"));
        using var model = new UmT5EncoderModel(UmT5ReferenceParityTests.ConfigOf(c), torch.ScalarType.BFloat16, torch.CPU);
        using (var f = CheckpointLoader.Open(Path.Combine(c.Directory, "weights-bf16.pth"))) ModuleWeights.LoadStrict(model, f);
        var call = c.Calls[0];
        using var hidden = model.call(c.Tensor(call, "ids"), c.Tensor(call, "mask"));
        Assert.Equal(torch.ScalarType.BFloat16, hidden.dtype);
        var reference = c.Tensor(call, "hidden");
        double maxDiff = (hidden.to(torch.ScalarType.Float32) - reference).abs().max().item<float>();
        double scale = reference.abs().max().item<float>();
        output.WriteLine($"bf16 vs float32 reference: max |diff| {maxDiff:G3}, values up to {scale:G3}");
        Assert.True(maxDiff < 0.05 * scale, $"bf16 drift {maxDiff} against values up to {scale}");
    }

    [Fact]
    public void LoadsCheckpointInfersConfigAndMatchesTheModuleDirectly()
    {
        var config = SmallConfig();
        var path = SaveRandomCheckpoint(config, torch.ScalarType.BFloat16);
        using var enc = UmT5TextEncoder.FromCheckpoint(path, TokenizerPath, torch.CPU, torch.ScalarType.Float32, textLen: 64);
        Assert.Equal(config, enc.Config);
        Assert.Contains("umt5:", enc.ModelId);
        Assert.False(enc.IsLoaded);

        var e = enc.Encode("  A red fox &amp; a   boat  ");
        Assert.True(enc.IsLoaded);
        var ids = enc.Tokenizer.Tokenize("A red fox & a boat", 64).Ids;
        Assert.Equal(ids.Length, e.TokenCount);
        Assert.Equal(new long[] { ids.Length, 32 }, e.Context.shape);
        Assert.Equal(torch.ScalarType.Float32, e.Context.dtype);

        using var direct = new UmT5EncoderModel(config, torch.ScalarType.Float32, torch.CPU);
        using (var f = CheckpointLoader.Open(path)) ModuleWeights.LoadStrict(direct, f);
        using var expected = direct.call(torch.tensor(ids.Select(i => (long)i).ToArray(), new long[] { 1, ids.Length }), null);
        ToleranceAssert.Close(expected[0], e.Context, 0, 0, "encoder vs module");
    }

    [Fact]
    public void ReleaseFreesTheWeightsAndTheNextEncodeReloads()
    {
        var path = SaveRandomCheckpoint(SmallConfig(), torch.ScalarType.Float32);
        using var enc = UmT5TextEncoder.FromCheckpoint(path, TokenizerPath, torch.CPU, torch.ScalarType.Float32);
        var first = enc.Encode("Рыжая лиса бежит по полю");
        enc.Release();
        Assert.False(enc.IsLoaded);
        var again = enc.Encode("Рыжая лиса бежит по полю");
        Assert.True(enc.IsLoaded);
        Assert.True(first.Context.SameBits(again.Context));
        Assert.Equal(2, enc.Invocations);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n ")]
    [InlineData("&nbsp;")]
    public void EmptyPromptIsRejected(string prompt)
    {
        using var enc = UmT5TextEncoder.RandomDemo(dim: 16, textLen: 16, seed: 1, torch.CPU);
        var ex = Assert.Throws<ArgumentException>(() => enc.Encode(prompt));
        Assert.Contains("empty", ex.Message);
        Assert.Equal(0, enc.Invocations);
    }

    [Fact]
    public void OverlongPromptIsTruncatedAndSaysSo()
    {
        using var enc = UmT5TextEncoder.RandomDemo(dim: 16, textLen: 16, seed: 1, torch.CPU);
        var e = enc.Encode(string.Join(" ", Enumerable.Repeat("A golden retriever chases a frisbee on a sandy beach.", 10)));
        Assert.True(e.Truncated);
        Assert.Equal(16, e.TokenCount);
        Assert.Equal(16, e.Context.shape[0]);
        Assert.False(enc.Encode("A red fox").Truncated);
    }

    [Fact]
    public void RandomDemoSaysWhatItIsAndIsSeeded()
    {
        using var a = UmT5TextEncoder.RandomDemo(dim: 32, textLen: 16, seed: 7, torch.CPU);
        using var b = UmT5TextEncoder.RandomDemo(dim: 32, textLen: 16, seed: 7, torch.CPU);
        using var other = UmT5TextEncoder.RandomDemo(dim: 32, textLen: 16, seed: 8, torch.CPU);
        Assert.Contains("random", a.ModelId);
        Assert.Contains("not a real text encoder", a.ModelId);
        Assert.StartsWith("builtin-demo-spm:", a.Tokenizer.ModelId);
        var ea = a.Encode("一只熊猫在竹林里");
        Assert.Equal(32, ea.Context.shape[1]);
        Assert.True(ea.Context.SameBits(b.Encode("一只熊猫在竹林里").Context));
        Assert.False(ea.Context.SameBits(other.Encode("一只熊猫在竹林里").Context));
    }

    [Fact]
    public void TokenizerLargerThanTheModelVocabularyIsRefused()
    {
        var path = SaveRandomCheckpoint(SmallConfig() with { Vocab = 100 }, torch.ScalarType.Float32);
        var ex = Assert.Throws<ArgumentException>(() => UmT5TextEncoder.FromCheckpoint(path, TokenizerPath, torch.CPU, torch.ScalarType.Float32));
        Assert.Contains("640", ex.Message);
    }

    [Fact]
    public void WrongCheckpointIsNamed()
    {
        var path = _dir.File("not-t5.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, torch.Tensor> { ["blocks.0.self_attn.q.weight"] = torch.ones(2, 2) });
        var ex = Assert.Throws<InvalidDataException>(() => UmT5TextEncoder.FromCheckpoint(path, TokenizerPath, torch.CPU, torch.ScalarType.Float32));
        Assert.Contains("token_embedding.weight", ex.Message);
    }
}
