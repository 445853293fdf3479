using HiStream.Engine.Models;
using HiStream.Engine.Random;
using HiStream.Engine.Sampling;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

public sealed class SelfForcingSamplerTests
{
    public static TheoryData<string> Cases => ReferenceCases.OfKinds("causal-wan");

    [Theory]
    [MemberData(nameof(Cases))]
    public void SamplerWithFixtureNoiseReproducesReferenceLatents(string caseDir)
    {
        using var c = new ReferenceCase(caseDir);
        using var model = FixtureModels.Load(c);
        var noise = new FixtureNoise(c);
        var sampler = new SelfForcingSampler(model, new SelfForcingOptions { Window = FixtureModels.Window(c) }, noise);
        var output = c.Calls.Single(k => k.Method == "pipeline_output");
        var expected = c.Tensor(output, "latents");                    // [1, C, F, H, W]
        using var context = c.Tensor(c.Calls[0], "context").squeeze(0);
        var request = new SamplingRequest(context, Seed: 0, (int)expected.shape[2], (int)expected.shape[3], (int)expected.shape[4]);

        var plan = sampler.Plan(request);
        var chunks = sampler.Generate(request).ToList();

        Assert.Equal(plan.Chunks, chunks.Count);
        Assert.Equal(Enumerable.Repeat(5, plan.Chunks), plan.ModelPassesPerChunk);
        Assert.All(chunks, ch => Assert.Equal(5, ch.Timing.ModelPasses));
        Assert.Equal(Enumerable.Range(0, chunks.Count).Select(i => i * 3), chunks.Select(ch => ch.FirstLatentFrame));
        using var all = torch.cat(chunks.Select(ch => ch.Latents).ToArray(), 1).unsqueeze(0);
        c.AssertClose(output, "latents", all);
        foreach (var ch in chunks) ch.Latents.Dispose();
    }

    [Fact]
    public void SeededRunIsDeterministicAndResumeEqualsUninterruptedRun()
    {
        using var c = new ReferenceCase(FixtureModels.CaseNamed("causal-wan-tiny-window"));
        using var model = FixtureModels.Load(c);
        var sampler = new SelfForcingSampler(model, new SelfForcingOptions { Window = FixtureModels.Window(c) });
        using var context = c.Tensor(c.Calls[0], "context").squeeze(0);
        // 14 latent frames: four chunks of 3 and a last chunk of 2; the window evicts from chunk 3 on.
        var request = new SamplingRequest(context, Seed: 1234, LatentFrames: 14, LatentHeight: 8, LatentWidth: 12);

        var first = sampler.Generate(request).Select(ch => ch.Latents).ToList();
        var second = sampler.Generate(request).Select(ch => ch.Latents).ToList();
        Assert.Equal(5, first.Count);
        Assert.Equal(2, first[^1].shape[1]);
        for (int i = 0; i < first.Count; i++)
            Assert.True(first[i].equal(second[i]).all().item<bool>(), $"chunk {i} differs between two runs with the same seed");

        var otherSeed = sampler.Generate(request with { Seed = 1235 }).Select(ch => ch.Latents).ToList();
        Assert.True((otherSeed[0] - first[0]).abs().max().item<float>() > 0.1f, "a different seed must give a different video");

        foreach (int k in new[] { 1, 3, 4 })
        {
            var resumed = sampler.Generate(request, new SamplerResumeState(first.Take(k).ToList())).ToList();
            Assert.Equal(first.Count - k, resumed.Count);
            Assert.Equal(k, resumed[0].Index);
            Assert.Equal(3 * k, resumed[0].FirstLatentFrame);
            for (int i = 0; i < resumed.Count; i++)
                Assert.True(resumed[i].Latents.equal(first[k + i]).all().item<bool>(), $"resumed at chunk {k}: chunk {k + i} differs from the uninterrupted run");
        }
    }

    [Fact]
    public void BFloat16RunTracksFloat32Run()
    {
        using var c = new ReferenceCase(FixtureModels.CaseNamed("causal-wan-tiny-full"));
        using var f32 = FixtureModels.Load(c);
        using var bf16 = FixtureModels.Load(c, torch.ScalarType.BFloat16);
        using var context = c.Tensor(c.Calls[0], "context").squeeze(0);
        var request = new SamplingRequest(context, Seed: 5, LatentFrames: 6, LatentHeight: 8, LatentWidth: 12);
        var a = new SelfForcingSampler(f32).Generate(request).Select(ch => ch.Latents).ToList();
        var b = new SelfForcingSampler(bf16, new SelfForcingOptions { DType = "bfloat16" }).Generate(request).Select(ch => ch.Latents).ToList();
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(torch.ScalarType.Float32, b[i].dtype);
            Assert.False(b[i].isnan().any().item<bool>());
            double cosine = (a[i] * b[i]).sum().item<float>() / (a[i].norm().item<float>() * b[i].norm().item<float>());
            Assert.True(cosine > 0.99, $"bfloat16 chunk {i} has cosine {cosine:F4} to the float32 chunk");
        }
    }

    [Fact]
    public void OptionsAndRequestsAreValidated()
    {
        using var model = new WanDiT(WanConfig.Tiny);
        Assert.Contains("float16", Assert.Throws<ArgumentException>(() => new SelfForcingSampler(model, new SelfForcingOptions { DType = "float16" })).Message);
        Assert.Contains("bfloat16", Assert.Throws<ArgumentException>(() => new SelfForcingSampler(model, new SelfForcingOptions { DType = "bfloat16" })).Message);
        Assert.Contains("sink", Assert.Throws<ArgumentException>(() => new SelfForcingSampler(model, new SelfForcingOptions { Window = new(4, 2) })).Message);
        var sampler = new SelfForcingSampler(model);
        using var context = torch.zeros(4, 32);
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => sampler.Plan(new SamplingRequest(context, 0, 3, 7, 12))).Message);
        using var wide = torch.zeros(4, 31);
        Assert.Contains("TextContext", Assert.Throws<ArgumentException>(() => sampler.Generate(new SamplingRequest(wide, 0, 3, 8, 12))).Message);
        using var chunk = torch.zeros(16, 2, 8, 12);
        Assert.Contains("Finished chunk 0", Assert.Throws<ArgumentException>(() =>
            sampler.Generate(new SamplingRequest(context, 0, 6, 8, 12), new SamplerResumeState(new[] { chunk }))).Message);
    }
}
