using HiStream.Engine.Checkpoints;
using HiStream.Engine.Models;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

public sealed class StateDictBinderTests
{
    private static Dictionary<string, torch.Tensor> FixtureWeights() =>
        SafeTensorsFile.Load(Path.Combine(FixtureModels.CaseNamed("wan-dit-tiny"), "weights.safetensors"));

    [Fact]
    public void BindsEveryTensorAndConvertsTheDType()
    {
        var weights = FixtureWeights();
        using var model = new WanDiT(WanConfig.Tiny, torch.CPU, torch.ScalarType.BFloat16);
        StateDictBinder.Bind(model, weights, "fixture");
        var sd = model.state_dict();
        Assert.Equal(weights.Count, sd.Count);
        foreach (var (name, w) in weights)
        {
            Assert.Equal(torch.ScalarType.BFloat16, sd[name].dtype);
            Assert.True(sd[name].equal(w.to(torch.ScalarType.BFloat16)).all().item<bool>(), name);
        }
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        var weights = FixtureWeights();
        weights.Remove("blocks.1.cross_attn.norm_k.weight");
        using var model = new WanDiT(WanConfig.Tiny);
        var ex = Assert.Throws<InvalidDataException>(() => StateDictBinder.Bind(model, weights, "my.safetensors"));
        Assert.Contains("'blocks.1.cross_attn.norm_k.weight'", ex.Message);
        Assert.Contains("missing 1", ex.Message);
        Assert.Contains("my.safetensors", ex.Message);
    }

    [Fact]
    public void UnexpectedKeyIsNamed()
    {
        var weights = FixtureWeights();
        weights["model.blocks.0.modulation"] = torch.zeros(1, 6, 48);
        using var model = new WanDiT(WanConfig.Tiny);
        var ex = Assert.Throws<InvalidDataException>(() => StateDictBinder.Bind(model, weights));
        Assert.Contains("unexpected 1 key(s): 'model.blocks.0.modulation'", ex.Message);
    }

    [Fact]
    public void MisShapedKeyIsNamedAndNothingIsCopied()
    {
        var weights = FixtureWeights();
        weights["head.head.weight"] = torch.zeros(32, 48);
        using var model = new WanDiT(WanConfig.Tiny);
        using (torch.no_grad()) foreach (var (_, p) in model.named_parameters()) p.fill_(7f);
        var ex = Assert.Throws<InvalidDataException>(() => StateDictBinder.Bind(model, weights));
        Assert.Contains("'head.head.weight' is [32, 48], the model needs [64, 48]", ex.Message);
        Assert.All(model.named_parameters(), p => Assert.Equal(7f, p.parameter.max().item<float>()));
    }
}
