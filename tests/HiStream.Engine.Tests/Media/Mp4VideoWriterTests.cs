using System.Text;
using HiStream.Engine.Media;
using TorchSharp;

namespace HiStream.Engine.Tests.Media;

public sealed class Mp4VideoWriterTests
{
    [Fact]
    public void FramesAppendedInChunksComeBackWithCountSizeAndRate()
    {
        using var dir = new TempDir();
        var path = dir.File("out/clip.mp4");
        using (var writer = Mp4VideoWriter.Create(path))
        {
            foreach (var (start, n) in new[] { (0, 9), (9, 12), (21, 12) })
            {
                using var chunk = TestFrames.Gradient(n, 48, 64, start);
                writer.Append(chunk);
                Assert.False(File.Exists(path), "a plain MP4 must not appear before Finish");
            }
            Assert.Equal(33, writer.FramesWritten);
            Assert.Equal(path, writer.Finish());
        }
        var info = MediaProbe.Probe(path);
        Assert.Equal((64, 48, 33L), (info.Width, info.Height, info.FrameCount));
        Assert.Equal(16.0, info.FramesPerSecond, 6);
        Assert.Equal(("h264", "yuv420p"), (info.Codec, info.PixelFormat));
        Assert.False(File.Exists(path + ".partial"));

        using var back = MediaProbe.ReadRgbFrames(path);
        using var expected = TestFrames.Gradient(33, 48, 64);
        using var diff = (back.to(torch.ScalarType.Float32) - expected.to(torch.ScalarType.Float32)).abs();
        Assert.True(diff.mean().item<float>() < 3.0f, $"colours drifted: mean |diff| {diff.mean().item<float>()}");
    }

    [Fact]
    public void FragmentedMp4HasFragmentsAndTheRequestedRate()
    {
        using var dir = new TempDir();
        var path = dir.File("frag.mp4");
        using (var writer = Mp4VideoWriter.Create(path, new Mp4WriterOptions { Fragmented = true, FramesPerSecond = 24, Preset = "ultrafast" }))
        {
            for (int c = 0; c < 4; c++)
            {
                using var chunk = TestFrames.Gradient(12, 32, 32, c * 12);
                writer.Append(chunk);
            }
            writer.Finish();
        }
        var info = MediaProbe.Probe(path);
        Assert.Equal((32, 32, 48L), (info.Width, info.Height, info.FrameCount));
        Assert.Equal(24.0, info.FramesPerSecond, 6);
        var bytes = File.ReadAllBytes(path);
        int moofs = CountAtoms(bytes, "moof");
        Assert.True(moofs >= 2, $"expected a fragment per second of video, found {moofs} moof boxes");
    }

    [Fact]
    public void AbandonedFragmentedMp4KeepsItsFinishedFragmentsReadable()
    {
        using var dir = new TempDir();
        var path = dir.File("partial.mp4");
        var writer = Mp4VideoWriter.Create(path, new Mp4WriterOptions { Fragmented = true, Preset = "ultrafast" });
        using (var frames = TestFrames.Gradient(64, 32, 32)) writer.Append(frames);
        // Wait until ffmpeg has flushed at least one fragment, then abort the way a crashed worker would.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (CountAtoms(File.ReadAllBytes(path), "moof") < 2 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        writer.Dispose();
        var info = MediaProbe.Probe(path);
        Assert.InRange(info.FrameCount, 16, 64);
    }

    [Theory]
    [InlineData(EvenSizeMode.Pad, 64, 48)]
    [InlineData(EvenSizeMode.Crop, 62, 46)]
    public void OddSizesBecomeEven(EvenSizeMode mode, int width, int height)
    {
        using var dir = new TempDir();
        var path = dir.File("odd.mp4");
        using (var writer = Mp4VideoWriter.Create(path, new Mp4WriterOptions { OddSize = mode, Preset = "ultrafast" }))
        {
            using var frames = TestFrames.Gradient(5, 47, 63);
            writer.Append(frames);
            Assert.Equal((width, height), (writer.OutputWidth, writer.OutputHeight));
            writer.Finish();
        }
        var info = MediaProbe.Probe(path);
        Assert.Equal((width, height, 5L), (info.Width, info.Height, info.FrameCount));
    }

    [Fact]
    public void BadFramesAreRejectedAndAnAbortedPlainMp4LeavesNoFile()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.mp4");
        using (var writer = Mp4VideoWriter.Create(path, new Mp4WriterOptions { Preset = "ultrafast" }))
        {
            Assert.Throws<ArgumentException>(() => writer.Append(torch.zeros(2, 16, 16, 3)));
            Assert.Throws<ArgumentException>(() => writer.Append(torch.zeros([2L, 16, 16, 4], dtype: torch.ScalarType.Byte)));
            using var frames = TestFrames.Gradient(3, 16, 16);
            writer.Append(frames);
            using var other = TestFrames.Gradient(1, 16, 18);
            var e = Assert.Throws<ArgumentException>(() => writer.Append(other));
            Assert.Contains("16x16", e.Message);
        }
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Throws<InvalidOperationException>(() => Mp4VideoWriter.Create(dir.File("empty.mp4")).Finish());
        Assert.Throws<ArgumentOutOfRangeException>(() => Mp4VideoWriter.Create(path, new Mp4WriterOptions { FramesPerSecond = 0 }));
    }

    [Fact]
    public void MissingFfmpegSaysHowToInstallIt()
    {
        var e = Assert.Throws<FfmpegNotFoundException>(() => FfmpegTools.Locate("/nonexistent/bin/ffmpeg"));
        Assert.Contains("apt-get install ffmpeg", e.Message);
        var old = Environment.GetEnvironmentVariable("PATH");
        var e2 = Assert.Throws<FfmpegNotFoundException>(() => Mp4VideoWriter.Create("x.mp4", new Mp4WriterOptions { Tools = LocateWithPath("/nonexistent") }));
        Assert.Contains("apt-get install ffmpeg", e2.Message);
        Assert.Equal(old, Environment.GetEnvironmentVariable("PATH"));
    }

    private static FfmpegTools LocateWithPath(string path)
    {
        // Locate with an empty search path, without changing this process's PATH (tests run in parallel).
        return FfmpegTools.Locate(Path.Combine(path, "ffmpeg"));
    }

    private static int CountAtoms(byte[] bytes, string type)
    {
        var pattern = Encoding.ASCII.GetBytes(type);
        int count = 0;
        for (int i = 4; i + 4 <= bytes.Length; i++)
            if (bytes.AsSpan(i, 4).SequenceEqual(pattern)) count++;
        return count;
    }
}
