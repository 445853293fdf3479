using HiStream.Engine.Tests.Reference;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

public sealed class WanVaeConfigTests
{
    [Fact]
    public void FixtureConfigIsTheTinyPreset()
    {
        using var c = VaeFixture.TinyCase();
        Assert.Equal(WanVaeConfig.Tiny, WanVaeConfig.FromJson(c.ModelConfig));
        Assert.Equal(WanVaeConfig.Tiny, WanVaeConfig.FromJsonFile(Path.Combine(c.Directory, "config.json")));
        Assert.Equal(new[] { true, true, false }, WanVaeConfig.Wan21.TemporalUpsample);
        Assert.Equal(8, WanVaeConfig.Wan21.SpatialScale);
        Assert.Equal(4, WanVaeConfig.Wan21.TemporalScale);
    }

    [Fact]
    public void FixtureStatisticsAreTheWanLatentStatistics()
    {
        using var c = VaeFixture.TinyCase();
        var fromFixture = VaeFixture.Normalization(c, c.Calls[0]);
        Assert.Equal(LatentNormalization.Wan21.Mean, fromFixture.Mean);
        Assert.Equal(LatentNormalization.Wan21.Std, fromFixture.Std);
    }

    [Fact]
    public void LayoutWithoutTemporalUpsamplingDecodesFrameForFrame()
    {
        var config = WanVaeConfig.FromJson("""{"dim": 4, "temperal_downsample": [false, false, false]}""");
        Assert.Equal(1, config.TemporalScale);
        using var model = WanVaeDecoderModel.Create(config);
        model.InitializeRandom(3);
        using var z = torch.randn([16L, 3, 2, 3], generator: new torch.Generator(1));
        using var whole = StreamingWanVaeDecoder.DecodeAll(model, z, VaeDecodeOptions.Unsliced);
        Assert.Equal(new long[] { 1, 3, 3, 16, 24 }, whole.shape);
        using var banded = StreamingWanVaeDecoder.DecodeAll(model, z, new VaeDecodeOptions { BandRows = 4 });
        ToleranceAssert.Close(whole, banded, 1e-5, 1e-5, "banded decode without temporal upsampling");
    }

    [Fact]
    public void BadConfigsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => WanVaeConfig.FromJson("""{"dim": 8, "temperal_downsample": [false, true]}"""));
        Assert.Throws<NotSupportedException>(() => WanVaeConfig.FromJson("""{"dim": 8, "attn_scales": [0.5]}"""));
        Assert.Throws<ArgumentOutOfRangeException>(() => WanVaeConfig.FromJson("""{"dim": 0}"""));
        Assert.Throws<ArgumentException>(() => WanVaeConfig.Preset("huge"));
    }

    [Fact]
    public void RealLayoutHasTheReferenceParameterCountAndThirtyTwoCacheSlots()
    {
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.Wan21);
        Assert.Equal(73_295_331, model.ParameterCount("decoder."));
        Assert.Equal(272, model.ParameterCount("conv2."));
        Assert.Equal((6, 4), (model.Decoder.TailHaloRows, model.Decoder.TailScale));
        model.InitializeRandom(1);
        using var z = torch.randn([16L, 2, 2, 2], generator: new torch.Generator(2));
        using var decoder = new StreamingWanVaeDecoder(model, VaeDecodeOptions.Unsliced);
        using var frames = decoder.DecodeNext(z);
        Assert.Equal(new long[] { 5, 16, 16, 3 }, frames.shape);
        Assert.Equal(32, decoder.CacheSlots);
    }
}

public sealed class WanVaeMemoryEstimateTests
{
    [Fact]
    public void EstimateEqualsTheCacheHeldAfterTheSecondLatentFrame()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 3, 4, 5], generator: new torch.Generator(1));
        using var decoder = new StreamingWanVaeDecoder(model);
        using (decoder.DecodeNext(z.narrow(1, 0, 1))) { }
        long afterFirst = decoder.CacheBytes;
        using (decoder.DecodeNext(z.narrow(1, 1, 2))) { }
        long expected = WanVaeMemoryEstimate.FeatureCacheBytes(WanVaeConfig.Tiny, 4, 5, torch.ScalarType.Float32);
        Assert.Equal(expected, decoder.CacheBytes);
        Assert.True(afterFirst < expected);
        Assert.Equal(32, WanVaeMemoryEstimate.CacheSlots(WanVaeConfig.Wan21).Count);
    }

    [Fact]
    public void RealLayoutAt1080pNeedsAboutTwentyGigabytesOfCacheInFloat32()
    {
        long bytes = WanVaeMemoryEstimate.FeatureCacheBytes(WanVaeConfig.Wan21, 136, 240, torch.ScalarType.Float32);
        Assert.InRange(bytes / 1e9, 19.0, 21.0);
        Assert.Equal(bytes / 2, WanVaeMemoryEstimate.FeatureCacheBytes(WanVaeConfig.Wan21, 136, 240, torch.ScalarType.BFloat16));
    }
}
