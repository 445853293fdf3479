using HiStream.Engine.Sampling;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamNtkRopeTests
{
    [Fact]
    public void ScaleOneIsPlainRope()
    {
        Assert.Equal(10000.0, HiStreamNtkRope.ScaledTheta(10000, 42, 1.0));
        Assert.Equal((10000.0, 10000.0, 10000.0), HiStreamNtkRope.AxisThetas(10000, (22, 21, 21), 1.0, RopeAxes.Spatial));
    }

    [Fact]
    public void HighestFrequencyIsKeptAndLowestIsDividedByTheScale()
    {
        const double s = 2.0;
        var plain = HiStreamNtkRope.Frequencies(10000, 42);
        var scaled = HiStreamNtkRope.Frequencies(HiStreamNtkRope.ScaledTheta(10000, 42, s), 42);
        Assert.Equal(21, scaled.Length);
        Assert.Equal(plain[0], scaled[0], 12);
        Assert.Equal(plain[20] / s, scaled[20], 12);
        for (int j = 0; j < 21; j++) Assert.Equal(plain[j] * Math.Pow(s, -2.0 * j / 40), scaled[j], 12);
    }

    [Fact]
    public void OnlyTheChosenAxesAreScaled()
    {
        var (t, h, w) = HiStreamNtkRope.AxisThetas(10000, (22, 21, 21), 2.0, RopeAxes.Width);
        Assert.Equal(10000.0, t);
        Assert.Equal(10000.0, h);
        Assert.Equal(10000 * Math.Pow(2, 42.0 / 40), w, 6);
        var all = HiStreamNtkRope.AxisThetas(10000, (22, 21, 21), 2.0, RopeAxes.Time | RopeAxes.Spatial);
        Assert.Equal(10000 * Math.Pow(2, 44.0 / 42), all.Time, 6);
    }
}
