using HiStream.Engine.Sampling;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamStepPlanTests
{
    private static readonly IReadOnlyList<double> Schedule = HiStreamSettings.DefaultSchedule;

    [Fact]
    public void HiStreamRunsTwoLowThenTwoHighStepsOnTheWarpedSchedule()
    {
        var steps = HiStreamSettings.HiStream.FirstChunk.Resolve(Schedule, "FirstChunk");
        Assert.Equal(new[] { StageResolution.Low, StageResolution.Low, StageResolution.High, StageResolution.High }, steps.Select(s => s.Resolution));
        Assert.Equal(new[] { 1000.0, 937.5, 833.3333129882812, 625.0 }, steps.Select(s => s.Timestep));
        Assert.Equal(steps, HiStreamSettings.HiStream.LaterChunks.Resolve(Schedule, "LaterChunks"));
    }

    [Fact]
    public void HiStreamPlusLaterChunksTakeOneLowStepAtTheHeadAndOneHighStepAtTheTail()
    {
        var plus = HiStreamSettings.HiStreamPlus;
        Assert.Equal(4, plus.FirstChunk.Resolve(Schedule, "FirstChunk").Count);
        var later = plus.LaterChunks.Resolve(Schedule, "LaterChunks");
        Assert.Equal(new[] { "lo@1000", "hi@625" }, later.Select(s => s.ToString()));
        Assert.Equal(new[] { 0, 3 }, later.Select(s => s.ScheduleIndex));
    }

    [Fact]
    public void ExplicitIndicesPickAnyIncreasingSubset()
    {
        var steps = ChunkStepPlan.Indices(new[] { 0 }, new[] { 2 }).Resolve(Schedule, "LaterChunks");
        Assert.Equal(new[] { "lo@1000", "hi@833.333" }, steps.Select(s => s.ToString()));
    }

    [Fact]
    public void MoreStepsThanTheScheduleFailsNamingTheSetting()
    {
        var bad = HiStreamSettings.HiStream with { LaterChunks = ChunkStepPlan.Counts(3, 2) };
        var e = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.Contains("LaterChunks", e.Message);
        Assert.Contains("has 4", e.Message);
    }

    [Theory]
    [InlineData(new[] { 1, 0 }, new[] { 3 }, "strictly increasing")]
    [InlineData(new[] { 0 }, new[] { 4 }, "outside the denoising schedule")]
    [InlineData(new[] { 2 }, new[] { 1 }, "strictly increasing")]
    public void BadExplicitIndicesFail(int[] low, int[] high, string message)
    {
        var bad = HiStreamSettings.HiStream with { FirstChunk = ChunkStepPlan.Indices(low, high) };
        var e = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.Contains("FirstChunk", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void APlanWithoutHighStepsFails()
    {
        var e = Assert.Throws<ArgumentException>((HiStreamSettings.HiStream with { FirstChunk = ChunkStepPlan.Counts(2, 0) }).Validate);
        Assert.Contains("FirstChunk", e.Message);
        Assert.Contains("high-resolution step", e.Message);
    }
}
