using HiStream.Engine.Sampling;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamWindowTests
{
    // model-spec §2.3, "cache contents seen by each chunk".
    [Theory]
    [InlineData(null, 0, 2, "0-8")]
    [InlineData(null, 0, 6, "0-20")]
    [InlineData(7, 1, 2, "0,3-8")]
    [InlineData(7, 1, 6, "0,15-20")]
    [InlineData(9, 3, 2, "0-8")]
    [InlineData(9, 3, 6, "0-2,15-20")]
    [InlineData(12, 3, 6, "0-2,12-20")]
    public void FramesSeenMatchTheSpecTable(int? window, int sink, int chunk, string expected)
    {
        var seen = HiStreamWindow.FramesSeen(chunk, 3, window, sink);
        Assert.Equal(Expand(expected), seen);
        Assert.Equal(seen.Count, HiStreamWindow.FramesAttended(chunk * 3, 3, window));
    }

    [Fact]
    public void DefaultHiStreamWindowKeepsTheAnchorAndEvictsTheOldestForAnyLength()
    {
        var s = HiStreamSettings.HiStream;
        for (int c = 2; c < 400; c++)
        {
            var seen = HiStreamWindow.FramesSeen(c, 3, s.WindowFrames, s.AnchorFrames);
            Assert.Equal(new[] { 0, 3 * c - 2, 3 * c - 1, 3 * c, 3 * c + 1, 3 * c + 2 }, seen);
        }
    }

    private static int[] Expand(string ranges) => ranges.Split(',').SelectMany(r =>
    {
        var p = r.Split('-').Select(int.Parse).ToArray();
        return Enumerable.Range(p[0], p.Length == 1 ? 1 : p[1] - p[0] + 1);
    }).ToArray();
}
