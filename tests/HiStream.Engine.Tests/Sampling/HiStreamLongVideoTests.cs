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
        // The last chunk is frames 1029-1031: it sees the anchor, the 2 newest history frames and itself.
        Assert.Equal(new[] { 0, 1027, 1028, 1029, 1030, 1031 }, last!.FramesAttendedHigh);
    }

    [Fact]
    public void RollingAnchorMatchesAbsolutePositionsUntilTheWindowSlidesThenMovesOnlyTheAnchor()
    {
        var request = _tiny.Request(12);
        var absolute = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream).Generate(request));
        var rolling = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { TemporalPositions = TemporalPositionPolicy.RollingAnchor }).Generate(request));
        // Chunks 0 and 1 (3 and 6 frames) fit the 6-frame window: the anchor is already next to its neighbours.
        Assert.True(torch.allclose(absolute[0], rolling[0], 0, 0));
        Assert.True(torch.allclose(absolute[1], rolling[1], 0, 0));
        // From chunk 2 the window slides; the anchor is re-roped to sit just before the oldest neighbour.
        Assert.False(torch.allclose(absolute[2], rolling[2], 1e-5, 1e-5));
    }

    [Fact]
    public void PlacingTheAnchorEqualsWritingItAtThatPosition()
    {
        var model = _tiny.Model;
        var plain = new RopeThetas(10000, 10000, 10000);
        var gen = new torch.Generator(3);
        using var frame = torch.randn(new long[] { 1, 16, 1, 8, 8 }, generator: gen);
        using var others = torch.randn(new long[] { 1, 16, 5, 8, 8 }, generator: gen);
        using var text = model.CreateTextState(_tiny.Context);

        using var moved = model.CreateCache(16, windowFrames: 3, anchorFrames: 1, totalFrames: 10);
        model.Forward(frame, 0, 0, moved, text, plain).Dispose();
        using var asWritten = WanChunkModel.KvCacheOf(moved).Keys(1).clone();
        moved.PlaceLeadingFrames(1, 5, 10000);

        using var direct = model.CreateCache(16, windowFrames: null, anchorFrames: 0, totalFrames: 10);
        model.Forward(others, 0, 0, direct, text, plain).Dispose();
        model.Forward(frame, 0, 5, direct, text, plain).Dispose();

        // Layer-0 keys depend only on the frame itself (nothing is attended before them), so the re-roped anchor
        // must equal the same frame written at position 5.
        var a = WanChunkModel.KvCacheOf(moved).Keys(0);
        var b = WanChunkModel.KvCacheOf(direct).Keys(0).narrow(1, 5 * 16, 16);
        Assert.True(torch.allclose(a, b, 1e-5, 1e-5), $"max diff {(a - b).abs().max().item<float>()}");
        Assert.False(torch.allclose(a, WanChunkModel.KvCacheOf(direct).Keys(0).narrow(1, 0, 16), 1e-3, 1e-3));

        // Moving back to 0 restores the keys exactly: rotations start from the as-written copy, nothing accumulates.
        moved.PlaceLeadingFrames(1, 0, 10000);
        Assert.True(torch.allclose(asWritten, WanChunkModel.KvCacheOf(moved).Keys(1), 0, 0));
    }
}
