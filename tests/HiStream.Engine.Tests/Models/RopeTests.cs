using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Tests.Models;

public sealed class RopeTests
{
    [Theory]
    [InlineData(128, 22, 21, 21)]
    [InlineData(24, 4, 4, 4)]
    [InlineData(64, 12, 10, 10)]
    [InlineData(6, 1, 1, 1)]
    public void PairsSplitAsTheReference(int headDim, int frame, int height, int width)
    {
        Assert.Equal((frame, height, width), Rope3D.SplitPairs(headDim));
        var rope = new Rope3D(headDim, RopeSettings.Default);
        Assert.Equal(headDim / 2, rope.FramePairs + rope.HeightPairs + rope.WidthPairs);
    }

    [Fact]
    public void FrequenciesAreTheReferenceTables()
    {
        var rope = new Rope3D(128, RopeSettings.Default);
        for (int j = 0; j < 22; j++) Assert.Equal(1.0 / Math.Pow(10000, 2.0 * j / 44), rope.FrameFrequencies[j], 15);
        for (int j = 0; j < 21; j++) Assert.Equal(1.0 / Math.Pow(10000, 2.0 * j / 42), rope.HeightFrequencies[j], 15);
    }

    [Fact]
    public void NtkScaleOneIsPlainRopeAndScaleSDividesTheLowestFrequency()
    {
        var plain = new Rope3D(128, RopeSettings.Default);
        var one = new Rope3D(128, RopeSettings.NtkSpatial(1.0, 1.0));
        Assert.Equal(plain.HeightFrequencies, one.HeightFrequencies);
        Assert.Equal(plain.WidthFrequencies, one.WidthFrequencies);

        var scaled = new Rope3D(128, RopeSettings.NtkSpatial(2.0, 2.3));
        Assert.Equal(plain.FrameFrequencies, scaled.FrameFrequencies);
        Assert.Equal(plain.HeightFrequencies[0], scaled.HeightFrequencies[0], 12);
        Assert.Equal(plain.HeightFrequencies[20] / 2.0, scaled.HeightFrequencies[20], 12);
        Assert.Equal(plain.WidthFrequencies[20] / 2.3, scaled.WidthFrequencies[20], 12);
        Assert.Throws<ArgumentException>(() => new Rope3D(128, RopeSettings.NtkSpatial(0, 1)));
    }

    [Fact]
    public void RotationMatchesAFloat64ComputationIncludingPositionsPastTheReferenceTable()
    {
        const int d = 24;
        var rope = new Rope3D(d, RopeSettings.Default);
        var g = new torch.Generator(3, torch.CPU);
        using var x = torch.randn(new long[] { 1, 2 * 2 * 3, 2, d }, generator: g);
        const long start = 1500;                          // beyond the reference's 1024-row table
        using var angles = rope.Angles(start, 2, 2, 3, torch.CPU, torch.ScalarType.Float32);
        using var y = angles.Apply(x);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        int token = 0;
        for (int f = 0; f < 2; f++)
        for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++, token++)
        for (int head = 0; head < 2; head++)
        for (int j = 0; j < d / 2; j++)
        {
            double phi = j < 4 ? (start + f) * rope.FrameFrequencies[j]
                : j < 8 ? r * rope.HeightFrequencies[j - 4]
                : c * rope.WidthFrequencies[j - 8];
            int at = (token * 2 + head) * d + 2 * j;
            double re = xs[at] * Math.Cos(phi) - xs[at + 1] * Math.Sin(phi);
            double im = xs[at] * Math.Sin(phi) + xs[at + 1] * Math.Cos(phi);
            Assert.Equal(re, ys[at], 5);
            Assert.Equal(im, ys[at + 1], 5);
        }
    }

    [Fact]
    public void AttentionScoresDependOnlyOnRelativeFramePosition()
    {
        var rope = new Rope3D(24, RopeSettings.Default);
        var g = new torch.Generator(9, torch.CPU);
        using var q = torch.randn(new long[] { 1, 1, 1, 24 }, generator: g);
        using var k = torch.randn(new long[] { 1, 1, 1, 24 }, generator: g);
        float Score(long qFrame, long kFrame)
        {
            using var aq = rope.Angles(qFrame, 1, 1, 1, torch.CPU, torch.ScalarType.Float64);
            using var ak = rope.Angles(kFrame, 1, 1, 1, torch.CPU, torch.ScalarType.Float64);
            using var rq = aq.Apply(q.to(torch.ScalarType.Float64));
            using var rk = ak.Apply(k.to(torch.ScalarType.Float64));
            return (float)(rq * rk).sum().item<double>();
        }
        Assert.Equal(Score(5, 2), Score(1005, 1002), 4);
        Assert.NotEqual(Score(5, 2), Score(5, 3), 3);
    }
}
