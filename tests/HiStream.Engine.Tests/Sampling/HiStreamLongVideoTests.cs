using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>Streams past the reference's 1024-position RoPE table, and the rolling-anchor position policy.</summary>
public sealed class HiStreamLongVideoTests : IDisposable
{
    private readonly TinySamplerModel _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Theory]
    [InlineData(TemporalPositionPolicy.Absolute)]
    [InlineData(TemporalPositionPolicy.RollingAnchor)]
    public void AStreamRunsPastLatentFrame1024WithABoundedCache(TemporalPositionPolicy positions)
    {
        // 1,032 latent frames (4,125 pixel frames) on a 4x4 latent: 344 chunks of HiStream+.
        var settings = HiStreamSettings.HiStreamPlus with { TemporalPositions = positions };
        var bytes = new HashSet<long>();
        ChunkCacheReport? last = null;
        var sampler = new HiStreamSampler(_tiny.Model, settings, cacheObserver: r => { bytes.Add(r.KvCacheBytes); last = r; });
        int chunks = 0;
        foreach (var c in sampler.Generate(_tiny.Request(1032, h: 4, w: 4)))
        {
            Assert.True(c.Latents.isfinite().all().item<bool>(), $"chunk {c.Index} is not finite");
            c.Latents.Dispose();
            chunks++;
        }
        Assert.Equal(344, chunks);
        Assert.Single(bytes);
        Assert.Equal(new[] { 0, 1026, 1027, 1028, 1029, 1030, 1031 }, last!.FramesAttendedHigh);
    }

    [Fact]
    public void RollingAnchorMatchesAbsolutePositionsUntilTheWindowSlidesThenMovesOnlyTheAnchor()
    {
        var request = _tiny.Request(12);
        var absolute = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream).Generate(request));
        var rolling = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { TemporalPositions = TemporalPositionPolicy.RollingAnchor }).Generate(request));
        // Chunks 0 and 1 fit the 7-frame window: the anchor is already next to its neighbours.
        Assert.True(torch.allclose(absolute[0], rolling[0], 0, 0));
        Assert.True(torch.allclose(absolute[1], rolling[1], 0, 0));
        // From chunk 2 the window slides; the anchor is re-roped to sit just before the oldest neighbour.
        Assert.False(torch.allclose(absolute[2], rolling[2], 1e-5, 1e-5));
    }
}
