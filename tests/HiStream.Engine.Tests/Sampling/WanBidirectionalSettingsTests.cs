using HiStream.Engine.Sampling;

namespace HiStream.Engine.Tests.Sampling;

public sealed class WanBidirectionalSettingsTests
{
    [Fact]
    public void DefaultsAreFiftyStepsShiftFiveCfgFive()
    {
        var s = WanBidirectionalSettings.Default;
        Assert.Equal(50, s.Steps);
        Assert.Equal(5.0, s.Shift);
        Assert.Equal(5.0, s.GuidanceScale);
        Assert.True(s.ClassifierFreeGuidance);
    }

    [Fact]
    public void SigmasAreWansShiftedLinearScheduleEndingAtZero()
    {
        var sigmas = (WanBidirectionalSettings.Default with { Steps = 4 }).Sigmas();
        // s = 1, .75, .5, .25 → 5s / (1 + 4s)
        Assert.Equal(new[] { 1.0, 0.9375, 5 * 0.5 / 3.0, 0.625, 0.0 }, sigmas, new ToleranceComparer(1e-12));
        var fifty = WanBidirectionalSettings.Default.Sigmas();
        Assert.Equal(51, fifty.Length);
        Assert.True(fifty.Zip(fifty.Skip(1)).All(p => p.First > p.Second));
    }

    [Theory]
    [InlineData(0, 5.0, "Steps")]
    [InlineData(10, 0.0, "Shift")]
    public void BadSettingsAreNamed(int steps, double shift, string name)
    {
        var e = Assert.Throws<ArgumentException>((WanBidirectionalSettings.Default with { Steps = steps, Shift = shift }).Validate);
        Assert.Contains($"WanBidirectionalSettings.{name}", e.Message);
    }

    [Fact]
    public void UnknownSamplerNameListsTheValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Create("hi-stream", null!));
        Assert.Contains("'hi-stream'", e.Message);
        foreach (var n in new[] { "self-forcing", "histream", "histream-plus", "wan-bidirectional" }) Assert.Contains(n, e.Message);
    }
}

internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(double obj) => 0;
}
