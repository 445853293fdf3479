using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

/// <summary>Chunked decoding with the cache kept between chunks gives exactly the frames of a one-shot decode.</summary>
public sealed class StreamingDecodeTests
{
    [Theory]
    [InlineData(new[] { 1, 1, 1 })]
    [InlineData(new[] { 2, 1 })]
    [InlineData(new[] { 1, 2 })]
    public void FixtureLatentDecodedInChunksEqualsOneShot(int[] chunkSizes)
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        var call = c.Calls[0];
        var z = c.Tensor(call, "z")[0];
        var normalization = VaeFixture.Normalization(c, call);
        using var whole = StreamingWanVaeDecoder.DecodeAll(model, z, normalization: normalization);
        using var chunked = DecodeInChunks(model, z, chunkSizes, normalization, raw: true);
        Assert.Equal(whole.shape, chunked.shape);
        Assert.True(VaeFixture.Same(whole, chunked), "chunked decode differs from the one-shot decode");
        c.AssertClose(call, "video_raw", chunked);
    }

    [Theory]
    [InlineData(new[] { 1, 1, 1, 1, 1 })]
    [InlineData(new[] { 2, 2, 1 })]
    [InlineData(new[] { 1, 2, 2 })]
    public void LongerLatentDecodedInChunksEqualsOneShotAsBytes(int[] chunkSizes)
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 5, 3, 5], generator: new torch.Generator(7));
        using var whole = StreamingWanVaeDecoder.DecodeAll(model, z);
        using var expected = VideoFrameConversion.ToRgbBytes(whole);
        using var frames = DecodeInChunks(model, z, chunkSizes, LatentNormalization.Wan21, raw: false);
        Assert.Equal(torch.ScalarType.Byte, frames.dtype);
        Assert.Equal(new long[] { 17, 24, 40, 3 }, frames.shape);
        Assert.True(VaeFixture.Same(expected, frames), "chunked byte frames differ from the one-shot decode");
    }

    [Fact]
    public void FrameCountsFollowTheOnePlusFourRule()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 5, 2, 3], generator: new torch.Generator(3));
        using var decoder = new StreamingWanVaeDecoder(model);
        using (var first = decoder.DecodeNext(z.narrow(1, 0, 3))) Assert.Equal(new long[] { 9, 16, 24, 3 }, first.shape);
        using (var next = decoder.DecodeNext(z.narrow(1, 3, 2))) Assert.Equal(new long[] { 8, 16, 24, 3 }, next.shape);
        Assert.Equal(5, decoder.LatentFramesDecoded);
        Assert.Equal(17, decoder.PixelFramesDecoded);
        Assert.True(decoder.CacheBytes > 0);
    }

    [Fact]
    public void ResetStartsANewVideo()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 2, 2, 3], generator: new torch.Generator(5));
        using var other = torch.randn([16L, 3, 3, 2], generator: new torch.Generator(6));
        using var decoder = new StreamingWanVaeDecoder(model);
        using var fresh = decoder.DecodeNextRaw(z);
        decoder.Reset();
        using (decoder.DecodeNextRaw(other)) { }
        decoder.Reset();
        using var again = decoder.DecodeNextRaw(z);
        Assert.True(VaeFixture.Same(fresh, again));
    }

    [Fact]
    public void BadChunksAreRejectedWithoutLosingTheStream()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 2, 2, 3], generator: new torch.Generator(5));
        using var decoder = new StreamingWanVaeDecoder(model);
        using (decoder.DecodeNext(z.narrow(1, 0, 1))) { }
        var size = Assert.Throws<ArgumentException>(() => decoder.DecodeNext(torch.zeros(16, 1, 4, 3)));
        Assert.Contains("Reset()", size.Message);
        var channels = Assert.Throws<ArgumentException>(() => decoder.DecodeNext(torch.zeros(8, 1, 2, 3)));
        Assert.Contains("[16, F, h, w]", channels.Message);
        using var rest = decoder.DecodeNextRaw(z.narrow(1, 1, 1));
        using var whole = StreamingWanVaeDecoder.DecodeAll(model, z);
        using var tailOfWhole = whole.narrow(2, 1, 4);
        Assert.True(VaeFixture.Same(tailOfWhole, rest), $"a rejected chunk disturbed the stream {(tailOfWhole - rest).abs().max().item<float>()} [{string.Join(",", rest.shape)}]");
    }

    [Fact]
    public void AFailureMidwayBlocksTheStreamUntilReset()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var z = torch.randn([16L, 2, 2, 3], generator: new torch.Generator(5));
        // A cache device that does not exist here makes the first cache write fail, after the decode has started.
        using var decoder = new StreamingWanVaeDecoder(model, new VaeDecodeOptions { CacheDevice = new torch.Device("cuda:7") });
        Assert.ThrowsAny<Exception>(() => decoder.DecodeNext(z));
        var e = Assert.Throws<InvalidOperationException>(() => decoder.DecodeNext(z));
        Assert.Contains("Reset()", e.Message);
    }

    [Fact]
    public void BytesAreTheRoundedClampedVideo()
    {
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        var call = c.Calls[0];
        using var decoder = new StreamingWanVaeDecoder(model, normalization: VaeFixture.Normalization(c, call));
        using var frames = decoder.DecodeNext(c.Tensor(call, "z"));
        using var reference = VideoFrameConversion.ToRgbBytes(c.Tensor(call, "video"));
        Assert.Equal(new long[] { 9, 32, 48, 3 }, frames.shape);
        using var diff = (frames.to(torch.ScalarType.Int32) - reference.to(torch.ScalarType.Int32)).abs();
        Assert.True(diff.max().item<int>() <= 1, "decoded bytes differ from the reference video by more than rounding");
    }

    [Fact]
    public void ByteConversionClampsAndRounds()
    {
        using var video = torch.tensor(new float[] { -2f, -1f, 0f, 1f, 2f, 0.5f }).reshape(1, 3, 1, 1, 2);
        using var bytes = VideoFrameConversion.ToRgbBytes(video);
        Assert.Equal(new long[] { 1, 1, 2, 3 }, bytes.shape);
        // Channel-last: pixel 0 is (r,g,b) = (-2, 0, 2), pixel 1 is (-1, 1, 0.5).
        Assert.Equal(new byte[] { 0, 128, 255, 0, 255, 191 }, bytes.data<byte>().ToArray());
    }

    private static torch.Tensor DecodeInChunks(WanVaeDecoderModel model, torch.Tensor z, int[] sizes, LatentNormalization normalization, bool raw)
    {
        Assert.Equal(z.shape[1], sizes.Sum());
        using var decoder = new StreamingWanVaeDecoder(model, normalization: normalization);
        var parts = new List<torch.Tensor>();
        int start = 0;
        foreach (var n in sizes)
        {
            using var chunk = z.narrow(1, start, n);
            parts.Add(raw ? decoder.DecodeNextRaw(chunk) : decoder.DecodeNext(chunk));
            start += n;
        }
        var result = torch.cat(parts, raw ? 2 : 0);
        foreach (var p in parts) p.Dispose();
        return result;
    }
}
