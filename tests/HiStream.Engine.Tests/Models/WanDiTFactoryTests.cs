using HiStream.Engine.Models;
using HiStream.Engine.Random;
using HiStream.Engine.Sampling;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Models;

public sealed class WanDiTFactoryTests
{
    [Fact]
    public void WithoutACheckpointTheModelIsSeededRandomAndSaysSo()
    {
        using var a = WanDiTFactory.Create(WanConfig.Tiny, checkpoint: null, randomSeed: 3);
        using var b = WanDiTFactory.Create(WanConfig.Tiny, checkpoint: null, randomSeed: 3);
        using var other = WanDiTFactory.Create(WanConfig.Tiny, checkpoint: null, randomSeed: 4);
        Assert.Contains("random", a.WeightsSource);
        Assert.Contains("seed 3", a.WeightsSource);
        var sa = a.state_dict();
        var sb = b.state_dict();
        Assert.All(sa, kv => Assert.True(kv.Value.equal(sb[kv.Key]).all().item<bool>(), kv.Key));
        Assert.False(sa["blocks.0.ffn.0.weight"].equal(other.state_dict()["blocks.0.ffn.0.weight"]).all().item<bool>());
        // Scales of the fixture scheme: unit-ish norm weights, small biases.
        Assert.InRange(sa["blocks.0.norm3.weight"].mean().item<float>(), 0.9f, 1.1f);
        Assert.InRange(sa["blocks.0.self_attn.q.bias"].abs().max().item<float>(), 0.0f, 0.3f);
    }

    [Fact]
    public void SelfForcingCheckpointLoadsTheEmaGenerator()
    {
        var dir = FixtureModels.CaseNamed("causal-wan-tiny-full");
        using var model = WanDiTFactory.Create(WanConfig.Tiny, Path.Combine(dir, "self_forcing_checkpoint.pt"));
        Assert.Contains("generator_ema", model.WeightsSource);
        var expected = HiStream.Engine.Checkpoints.SafeTensorsFile.Load(Path.Combine(dir, "weights.safetensors"));
        var sd = model.state_dict();
        Assert.All(expected, kv => Assert.True(kv.Value.equal(sd[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        Assert.Throws<FileNotFoundException>(() => WanDiTFactory.Create(WanConfig.Tiny, "/nonexistent/model.safetensors"));
        Assert.Contains("float16", Assert.Throws<ArgumentException>(() => WanDiTFactory.Create(WanConfig.Tiny, null, dtype: "float16")).Message);
        Assert.Contains("CUDA", Assert.Throws<InvalidOperationException>(() => WanDiTFactory.Create(WanConfig.Tiny, null, device: "cuda")).Message);
    }

    [Fact]
    public void CancelledGenerationStopsBeforeRunningAChunk()
    {
        using var model = WanDiTFactory.Create(WanConfig.Tiny, null);
        var sampler = new SelfForcingSampler(model, noise: new NoiseSource());
        using var context = torch.zeros(3, 32);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var chunks = sampler.Generate(new SamplingRequest(context, 1, 6, 8, 12), cancellationToken: cts.Token);
        Assert.ThrowsAny<OperationCanceledException>(() => chunks.First());
    }
}
