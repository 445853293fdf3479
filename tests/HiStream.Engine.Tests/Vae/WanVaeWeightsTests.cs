using HiStream.Engine.Checkpoints;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

public sealed class WanVaeWeightsTests
{
    [Fact]
    public void ParameterKeysAreTheReferenceNames()
    {
        using var c = VaeFixture.TinyCase();
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        var file = SafeTensorsFile.ReadHeader(c.WeightsPath, out _, out _).Select(e => e.Name).ToHashSet();
        foreach (var key in new[]
                 {
                     "conv2.weight", "decoder.conv1.weight", "decoder.middle.0.residual.0.gamma", "decoder.middle.1.to_qkv.weight",
                     "decoder.upsamples.3.resample.1.weight", "decoder.upsamples.3.time_conv.weight", "decoder.upsamples.4.shortcut.weight",
                     "decoder.upsamples.11.resample.1.bias", "decoder.head.0.gamma", "decoder.head.2.weight",
                 })
            Assert.Contains(key, model.ParameterNames);
        Assert.DoesNotContain("decoder.upsamples.11.time_conv.weight", model.ParameterNames);
        var decoderKeysInFile = file.Where(k => !k.StartsWith("encoder.", StringComparison.Ordinal) && !k.StartsWith("conv1.", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(decoderKeysInFile.OrderBy(k => k), model.ParameterNames.OrderBy(k => k));
    }

    [Fact]
    public void EncoderKeysAreIgnoredAndDecoderOnlyDictsLoad()
    {
        using var c = VaeFixture.TinyCase();
        var weights = SafeTensorsFile.Load(c.WeightsPath);
        Assert.Contains("encoder.conv1.weight", weights.Keys);
        Assert.Contains("conv1.weight", weights.Keys);
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        model.LoadStateDict(weights, "fixture");
        var decoderOnly = weights.Where(kv => model.ParameterNames.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        using var again = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        again.LoadStateDict(decoderOnly);
        Assert.Equal("fixture", model.WeightsSource);
        Assert.False(model.HasRandomWeights);
    }

    [Fact]
    public void UnknownMissingAndMisshapenKeysAreNamed()
    {
        using var c = VaeFixture.TinyCase();
        var weights = SafeTensorsFile.Load(c.WeightsPath);
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);

        var extra = new Dictionary<string, torch.Tensor>(weights) { ["decoder.upsamples.15.residual.0.gamma"] = torch.ones(8, 1, 1, 1) };
        var e1 = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(extra));
        Assert.Contains("unknown keys: decoder.upsamples.15.residual.0.gamma", e1.Message);

        var missing = new Dictionary<string, torch.Tensor>(weights);
        missing.Remove("decoder.head.2.bias");
        var e2 = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(missing));
        Assert.Contains("missing decoder keys: decoder.head.2.bias", e2.Message);

        var misshapen = new Dictionary<string, torch.Tensor>(weights) { ["conv2.weight"] = torch.zeros(16, 16, 1, 1) };
        var e3 = Assert.Throws<InvalidDataException>(() => model.LoadStateDict(misshapen));
        Assert.Contains("conv2.weight is [16,16,1,1], expected [16,16,1,1,1]", e3.Message);

        // The real layout rejects the tiny weights, naming a key.
        using var real = WanVaeDecoderModel.Create(WanVaeConfig.Wan21);
        var e4 = Assert.Throws<InvalidDataException>(() => real.LoadStateDict(weights));
        Assert.Contains("decoder.conv1.weight is [32,16,3,3,3], expected [384,16,3,3,3]", e4.Message);
    }

    [Fact]
    public void RandomWeightsAreSeededAndSaySo()
    {
        using var a = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        using var b = WanVaeDecoderModel.Create(WanVaeConfig.Tiny);
        a.InitializeRandom(11);
        b.InitializeRandom(11);
        Assert.True(a.HasRandomWeights);
        Assert.Equal("random (seed 11)", a.WeightsSource);
        var pa = a.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in b.named_parameters()) Assert.True(VaeFixture.Same(pa[name], p), name);
        var gamma = pa["decoder.head.0.gamma"];
        Assert.InRange(gamma.mean().item<float>(), 0.9f, 1.1f);
    }
}
