using HiStream.Engine.Caching;
using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Tests.Caching;

public sealed class KvCacheTests
{
    private const int FrameTokens = 4;
    private static readonly WanConfig Config = WanConfig.Tiny;

    /// <summary>Writes a chunk whose every key/value element equals its absolute frame index (as one model call would).</summary>
    private static void WriteChunk(KvCache cache, int startFrame, int frames)
    {
        var writer = cache.BeginWrite((long)startFrame * FrameTokens, (long)frames * FrameTokens);
        using var frameIds = torch.arange(startFrame, startFrame + frames, dtype: torch.ScalarType.Float32).repeat_interleave(FrameTokens);
        using var k = frameIds.view(1, -1, 1, 1).expand(1, frames * FrameTokens, Config.NumHeads, Config.HeadDim).contiguous();
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            var (keys, values) = writer.Store(layer, k, k.neg());
            keys.Dispose();
            values.Dispose();
        }
        cache.Commit(writer);
    }

    private static long[] FramesInBuffer(KvCache cache, int layer)
    {
        using var k = cache.Keys(layer);
        using var v = cache.Values(layer);
        Assert.True(v.neg().equal(k).all().item<bool>());
        return k.select(2, 0).select(2, 0).select(0, 0).data<float>().ToArray().Chunk(FrameTokens).Select(c => (long)c[0]).ToArray();
    }

    [Fact]
    public void WindowWithSinkEvictsTheOldestNonSinkFrames()
    {
        // local_attn_size 9, sink 3, chunks of 3: the case the window fixture checks through the model.
        using var cache = new KvCache(Config, 1, FrameTokens, new KvWindow(9, 3), 15, torch.CPU, torch.ScalarType.Float32);
        var expected = new[]
        {
            new long[] { 0, 1, 2 },
            new long[] { 0, 1, 2, 3, 4, 5 },
            new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 },
            new long[] { 0, 1, 2, 6, 7, 8, 9, 10, 11 },
            new long[] { 0, 1, 2, 9, 10, 11, 12, 13, 14 },
        };
        for (int chunk = 0; chunk < 5; chunk++)
        {
            WriteChunk(cache, chunk * 3, 3);
            WriteChunk(cache, chunk * 3, 3);          // a second step of the same chunk overwrites in place
            Assert.Equal(expected[chunk], cache.FramesHeld());
            for (int layer = 0; layer < cache.Layers; layer++) Assert.Equal(expected[chunk], FramesInBuffer(cache, layer));
            Assert.Equal((chunk + 1) * 3L * FrameTokens, cache.GlobalEnd);
        }
    }

    [Fact]
    public void AnchorOfOneFrameKeepsFrameZeroAndTheMostRecentFrames()
    {
        // The FLOP-fitted HiStream window: anchor 1 + 3 neighbours + the 3-frame chunk = 7.
        using var cache = new KvCache(Config, 1, FrameTokens, new KvWindow(7, 1), 21, torch.CPU, torch.ScalarType.Float32);
        for (int chunk = 0; chunk < 7; chunk++) WriteChunk(cache, chunk * 3, 3);
        Assert.Equal(new long[] { 0, 15, 16, 17, 18, 19, 20 }, cache.FramesHeld());
        Assert.Equal(new long[] { 0, 15, 16, 17, 18, 19, 20 }, FramesInBuffer(cache, 1));
    }

    [Fact]
    public void GlobalCacheIsSizedFromTheVideoAndRefusesToOverflow()
    {
        using var cache = new KvCache(Config, 1, FrameTokens, KvWindow.Global, 6, torch.CPU, torch.ScalarType.Float32);
        Assert.Equal(6 * FrameTokens, cache.CapacityTokens);
        Assert.Equal(2L * Config.NumLayers * 6 * FrameTokens * Config.Dim * sizeof(float), cache.Bytes);
        WriteChunk(cache, 0, 3);
        WriteChunk(cache, 3, 3);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, cache.FramesHeld());
        var ex = Assert.Throws<InvalidOperationException>(() => cache.BeginWrite(6 * FrameTokens, 3 * FrameTokens));
        Assert.Contains("overflow", ex.Message);

        cache.Reset();
        Assert.Equal(0, cache.GlobalEnd);
        Assert.Equal(0, cache.LocalEnd);
        Assert.Empty(cache.FramesHeld());
        WriteChunk(cache, 0, 3);
        Assert.Equal(new long[] { 0, 1, 2 }, cache.FramesHeld());
    }

    [Fact]
    public void WindowLargerThanTheVideoOnlyAllocatesTheVideo()
    {
        using var cache = new KvCache(Config, 1, FrameTokens, new KvWindow(21, 1), 9, torch.CPU, torch.ScalarType.BFloat16);
        Assert.Equal(9, cache.CapacityFrames);
        Assert.Equal(2L * Config.NumLayers * 9 * FrameTokens * Config.Dim * 2, cache.Bytes);
        for (int chunk = 0; chunk < 3; chunk++) WriteChunk(cache, chunk * 3, 3);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), cache.FramesHeld());
    }

    [Fact]
    public void MisuseIsAClearError()
    {
        using var cache = new KvCache(Config, 1, FrameTokens, new KvWindow(9, 3), 15, torch.CPU, torch.ScalarType.Float32);
        Assert.Contains("in order", Assert.Throws<ArgumentException>(() => cache.BeginWrite(3 * FrameTokens, 3 * FrameTokens)).Message);
        Assert.Contains("whole frames", Assert.Throws<ArgumentException>(() => cache.BeginWrite(0, 5)).Message);
        var writer = cache.BeginWrite(0, 3 * FrameTokens);
        Assert.Contains("did not finish", Assert.Throws<InvalidOperationException>(() => cache.BeginWrite(0, 3 * FrameTokens)).Message);
        Assert.Contains("0 of 2 layers", Assert.Throws<InvalidOperationException>(() => cache.Commit(writer)).Message);
        cache.Reset();
        Assert.Throws<ArgumentException>(() => new KvCache(Config, 1, FrameTokens, new KvWindow(3, 3), 15, torch.CPU, torch.ScalarType.Float32));
        Assert.Throws<ArgumentException>(() => new KvCache(Config, 1, FrameTokens, new KvWindow(0, 0), 15, torch.CPU, torch.ScalarType.Float32));
        using var small = new KvCache(Config, 1, FrameTokens, new KvWindow(4, 2), 15, torch.CPU, torch.ScalarType.Float32);
        WriteChunk(small, 0, 3);
        Assert.Contains("does not fit", Assert.Throws<InvalidOperationException>(() => small.BeginWrite(3 * FrameTokens, 3 * FrameTokens)).Message);
    }
}
