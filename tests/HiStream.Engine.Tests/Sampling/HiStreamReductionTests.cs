using HiStream.Engine.Caching;
using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>HiStream's mechanisms switched off must give back the plain loops exactly.</summary>
public sealed class HiStreamReductionTests : IDisposable
{
    private readonly TinySamplerModel _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DrcWithEqualResolutionsIsTheSingleResolutionSelfForcingLoop(bool window)
    {
        // Both stages at the target size: the "low" cache then holds exactly what the high cache holds, so
        // 2 "low" + 2 "high" steps with two caches must equal Self-Forcing's 4 steps with one cache.
        // The default window: anchor 1 + 2 neighbours + chunk 3 = 6 frames (sink_size 1, local_attn_size 6).
        var drc = HiStreamSettings.HiStream with { LowResolutionFactor = 1, SlidingWindow = window };
        var selfForcing = new SelfForcingSampler(_tiny.Dit, new SelfForcingOptions { Window = window ? new KvWindow(6, 1) : KvWindow.Global });
        var request = _tiny.Request(15);
        var expected = TinySamplerModel.Latents(selfForcing.Generate(request));
        var actual = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, drc).Generate(request));
        Assert.Equal(expected.Count, actual.Count);
        for (int c = 0; c < expected.Count; c++)
            Assert.True(torch.allclose(expected[c], actual[c], 1e-6, 1e-5), $"chunk {c}: max diff {(expected[c] - actual[c]).abs().max().item<float>()}");
    }

    [Fact]
    public void TheSelfForcingReferenceSettingsReproduceTheSelfForcingSampler()
    {
        var request = _tiny.Request(9);
        var expected = TinySamplerModel.Latents(new SelfForcingSampler(_tiny.Dit).Generate(request));
        var actual = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.SelfForcingReference).Generate(request));
        for (int c = 0; c < expected.Count; c++) Assert.True(torch.allclose(expected[c], actual[c], 1e-6, 1e-5), $"chunk {c}");
    }

    [Fact]
    public void NtkScaleOneIsPlainRope()
    {
        var request = _tiny.Request(9);
        var scaleOne = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { NtkScale = 1.0 });
        Assert.Equal(scaleOne.LowThetas, scaleOne.HighThetas);
        var unscaled = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { NtkAxes = RopeAxes.None }).Generate(request));
        var one = TinySamplerModel.Latents(scaleOne.Generate(request));
        var two = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream).Generate(request));
        for (int c = 0; c < one.Count; c++) Assert.True(torch.allclose(unscaled[c], one[c], 0, 0), $"chunk {c}");
        Assert.False(torch.allclose(two[0], one[0], 1e-4, 1e-4), "NTK scale 2 must change the high-res passes");
    }

    [Fact]
    public void NtkScaleOneGivesTheModelsDefaultRopeTables()
    {
        var rope = _tiny.Model.RopeFor(new RopeThetas(10000, HiStreamNtkRope.ScaledTheta(10000, 8, 1.0), HiStreamNtkRope.ScaledTheta(10000, 8, 1.0)));
        Assert.Equal(_tiny.Dit.Rope.HeightFrequencies, rope.HeightFrequencies);
        Assert.Equal(_tiny.Dit.Rope.WidthFrequencies, rope.WidthFrequencies);
    }
}
