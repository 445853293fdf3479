using HiStream.Engine.Media;
using TorchSharp;

namespace HiStream.Engine.Tests.Media;

public sealed class StillImageTests
{
    [Fact]
    public void PngOfAFrameIsLossless()
    {
        using var dir = new TempDir();
        using var frames = TestFrames.Gradient(5, 37, 51);
        var path = dir.File("frame.png");
        PngWriter.WriteFrame(path, frames, -1);
        var info = MediaProbe.Probe(path);
        Assert.Equal((51, 37, "png"), (info.Width, info.Height, info.Codec));
        using var back = MediaProbe.ReadRgbFrames(path);
        Assert.True(back[0].eq(frames[4]).all().item<bool>(), "PNG pixels differ from the frame");
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.WriteFrame(dir.File("x.png"), frames, 5));
        Assert.Throws<ArgumentException>(() => PngWriter.Write(dir.File("x.png"), frames));
    }

    [Fact]
    public void ContactSheetIsAGridOfEvenlySpacedThumbnails()
    {
        using var dir = new TempDir();
        using var frames = TestFrames.Gradient(33, 48, 64);
        var options = new ContactSheetOptions { Columns = 3, MaxFrames = 5, ThumbnailWidth = 32, Gap = 2, Background = 7 };
        var path = dir.File("sheet.png");
        ContactSheet.Write(path, frames, options);
        // 5 thumbnails of 32x24 in 3 columns and 2 rows, with 2-pixel gaps around and between.
        var info = MediaProbe.Probe(path);
        Assert.Equal((3 * 32 + 4 * 2, 2 * 24 + 3 * 2), (info.Width, info.Height));
        using var sheet = MediaProbe.ReadRgbFrames(path)[0];
        Assert.Equal(7, sheet[0, 0, 0].item<byte>());
        Assert.Equal(7, sheet[sheet.shape[0] - 1, sheet.shape[1] - 1, 2].item<byte>()); // the empty sixth cell
        Assert.Equal(new[] { 0, 8, 16, 24, 32 }, ContactSheet.PickFrames(33, 5));
        Assert.Equal(new[] { 0, 1 }, ContactSheet.PickFrames(2, 16));
        // Full-size thumbnails keep the exact pixels.
        using var full = ContactSheet.Compose(frames, new ContactSheetOptions { Columns = 2, MaxFrames = 2, ThumbnailWidth = 0, Gap = 1 });
        Assert.True(full.narrow(0, 1, 48).narrow(1, 66, 64).eq(frames[32]).all().item<bool>());
    }
}
