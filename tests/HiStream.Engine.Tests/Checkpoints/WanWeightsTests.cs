using HiStream.Engine.Caching;
using HiStream.Engine.Checkpoints;
using HiStream.Engine.Models;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>Binding Wan DiT weights: reference key names, strict checks that name the key, dtype conversion.</summary>
public sealed class WanWeightsTests
{
    private static Dictionary<string, torch.Tensor> FixtureWeights() =>
        SafeTensorsFile.Load(Path.Combine(FixtureModels.CaseNamed("wan-dit-tiny"), "weights.safetensors"));

    [Fact]
    public void BindsEveryTensorAndConvertsTheDType()
    {
        var weights = FixtureWeights();
        using var model = new WanDiT(WanConfig.Tiny, torch.CPU, torch.ScalarType.BFloat16);
        ModuleWeights.LoadStrict(model, weights);
        var sd = model.state_dict();
        Assert.Equal(weights.Count, sd.Count);
        foreach (var (name, w) in weights)
        {
            Assert.Equal(torch.ScalarType.BFloat16, sd[name].dtype);
            Assert.True(sd[name].equal(w.to(torch.ScalarType.BFloat16)).all().item<bool>(), name);
        }
    }

    [Fact]
    public void MissingUnexpectedAndMisShapedKeysAreNamedAndNothingIsCopied()
    {
        var weights = FixtureWeights();
        weights.Remove("blocks.1.cross_attn.norm_k.weight");
        weights["model.blocks.0.modulation"] = torch.zeros(1, 6, 48);
        weights["head.head.weight"] = torch.zeros(32, 48);
        using var model = new WanDiT(WanConfig.Tiny);
        using (torch.no_grad()) foreach (var (_, p) in model.named_parameters()) p.fill_(7f);
        var ex = Assert.Throws<InvalidDataException>(() => ModuleWeights.LoadStrict(model, weights));
        Assert.Contains("'blocks.1.cross_attn.norm_k.weight'", ex.Message);
        Assert.Contains("'model.blocks.0.modulation'", ex.Message);
        Assert.Contains("'head.head.weight'", ex.Message);
        Assert.All(model.named_parameters(), p => Assert.Equal(7f, p.parameter.max().item<float>()));
    }

    [Fact]
    public void SelfForcingTorchCheckpointLoadsTheEmaGeneratorAndReplaysTheFirstForward()
    {
        using var c = new ReferenceCase(FixtureModels.CaseNamed("causal-wan-tiny-full"));
        using var model = FixtureModels.Load(c, Path.Combine(c.Directory, "self_forcing_checkpoint.pt"));
        var call = c.Calls[0];
        using var kv = new KvCache(model.Config, 1, 24, KvWindow.Global, 3, torch.CPU, torch.ScalarType.Float32);
        using var cross = new CrossAttentionCache(model.Config, 1, torch.CPU, torch.ScalarType.Float32);
        using var flow = model.ForwardCausal(c.Tensor(call, "x"), c.Tensor(call, "t"), c.Tensor(call, "context"), kv, cross, 0);
        c.AssertClose(call, "flow_pred", flow);
    }
}
