using HiStream.Engine.Media;
using HiStream.Engine.Tests.Vae;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Media;

public sealed class VideoOutputSessionTests
{
    [Fact]
    public void LatentChunksBecomeAVideoAPosterAndAContactSheet()
    {
        using var dir = new TempDir();
        using var c = VaeFixture.TinyCase();
        using var model = VaeFixture.LoadModel(c);
        using var decoder = new StreamingWanVaeDecoder(model);
        using var z = torch.randn([16L, 5, 4, 6], generator: new torch.Generator(4));
        var options = new VideoOutputOptions(dir.File("v.mp4"), dir.File("sheet.png"), dir.File("poster.png"))
        {
            Mp4 = new Mp4WriterOptions { Fragmented = true, Preset = "ultrafast" },
            ContactSheet = new ContactSheetOptions { Columns = 4, MaxFrames = 8, ThumbnailWidth = 24, Gap = 1 },
        };
        VideoOutputResult result;
        using (var session = new VideoOutputSession(decoder, options))
        {
            using (var first = z.narrow(1, 0, 3)) Assert.Equal(9, session.AddChunk(first));
            Assert.True(File.Exists(options.PosterPath));
            using (var second = z.narrow(1, 3, 2)) Assert.Equal(8, session.AddChunk(second));
            result = session.Finish();
        }
        Assert.Equal((17L, 48, 32), (result.Frames, result.Width, result.Height));
        var video = MediaProbe.Probe(result.Mp4Path);
        Assert.Equal((48, 32, 17L), (video.Width, video.Height, video.FrameCount));
        var sheet = MediaProbe.Probe(result.ContactSheetPath!);
        Assert.Equal((4 * 24 + 5, 2 * 16 + 3), (sheet.Width, sheet.Height));

        // The poster is the last decoded frame, exactly.
        using var all = StreamingWanVaeDecoder.DecodeAll(model, z);
        using var bytes = VideoFrameConversion.ToRgbBytes(all);
        using var poster = MediaProbe.ReadRgbFrames(result.PosterPath!);
        Assert.True(VaeFixture.Same(bytes.narrow(0, 16, 1), poster));
    }
}
