using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamSettingsTests
{
    private static SamplingRequest Request(int frames, int h, int w) => new(torch.zeros(1, 4), 0, frames, h, w);

    [Fact]
    public void DefaultsAreTheSpecProposal()
    {
        var s = HiStreamSettings.HiStream;
        s.Validate();
        Assert.Equal(2, s.LowResolutionFactor);
        Assert.Equal(LatentUpsampleMode.Bilinear, s.Upsample);
        Assert.Equal(LatentDownsampleMode.AveragePool, s.Downsample);
        Assert.Equal(2.0, s.EffectiveNtkScale);
        Assert.Equal(RopeAxes.Height | RopeAxes.Width, s.NtkAxes);
        Assert.Equal(1, s.AnchorFrames);
        Assert.Equal(2, s.NeighbourFrames); // the paper: chunk M + (M - 1) history frames + the first frame = 2M
        Assert.Equal(6, s.WindowFrames);
        Assert.Equal(7, HiStreamSettings.HiStreamFlopFittedWindow.WindowFrames);
        Assert.True(s.RefreshHighCache && s.RefreshLowCache);
        Assert.Equal(TemporalPositionPolicy.Absolute, s.TemporalPositions);
    }

    [Fact]
    public void WindowSmallerThanAChunkFailsNamingTheSetting()
    {
        var e = Assert.Throws<ArgumentException>((HiStreamSettings.HiStream with { Window = 3 }).Validate);
        Assert.Contains("HiStreamSettings.Window", e.Message);
        Assert.Equal("Window", e.ParamName);
    }

    [Theory]
    [InlineData(nameof(HiStreamSettings.FramesPerChunk))]
    [InlineData(nameof(HiStreamSettings.LowResolutionFactor))]
    [InlineData(nameof(HiStreamSettings.NtkScale))]
    [InlineData(nameof(HiStreamSettings.NeighbourFrames))]
    [InlineData(nameof(HiStreamSettings.AnchorFrames))]
    [InlineData(nameof(HiStreamSettings.DenoisingTimesteps))]
    public void EachBadSettingIsNamed(string setting)
    {
        var bad = setting switch
        {
            nameof(HiStreamSettings.FramesPerChunk) => HiStreamSettings.HiStream with { FramesPerChunk = 0 },
            nameof(HiStreamSettings.LowResolutionFactor) => HiStreamSettings.HiStream with { LowResolutionFactor = 0 },
            nameof(HiStreamSettings.NtkScale) => HiStreamSettings.HiStream with { NtkScale = -1 },
            nameof(HiStreamSettings.NeighbourFrames) => HiStreamSettings.HiStream with { NeighbourFrames = -1 },
            nameof(HiStreamSettings.AnchorFrames) => HiStreamSettings.HiStream with { AnchorFrames = -2 },
            _ => HiStreamSettings.HiStream with { DenoisingTimesteps = new[] { 500.0, 900.0 } },
        };
        var e = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.Contains($"HiStreamSettings.{setting}", e.Message);
    }

    [Fact]
    public void ZeroFramesFails()
    {
        var e = Assert.Throws<ArgumentException>(() => HiStreamSettings.HiStream.ValidateRequest(Request(0, 8, 8)));
        Assert.Contains("LatentFrames", e.Message);
    }

    [Theory]
    [InlineData(8, 9, "LatentWidth", "multiple of 16 pixels")]
    [InlineData(6, 8, "LatentHeight", "multiple of 32 pixels")]
    public void ResolutionNotAMultipleOf16Fails(int h, int w, string field, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => HiStreamSettings.HiStream.ValidateRequest(Request(3, h, w)));
        Assert.Contains(field, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void FramesMustFillWholeChunks()
    {
        var e = Assert.Throws<ArgumentException>(() => HiStreamSettings.HiStream.ValidateRequest(Request(4, 8, 8)));
        Assert.Contains("FramesPerChunk", e.Message);
    }

    [Fact]
    public void TheHighResolution1080pGridIsAccepted() => HiStreamSettings.HiStream.ValidateRequest(Request(21, 136, 240));

    [Fact]
    public void DescribeChangesWithEveryOption()
    {
        var a = HiStreamSettings.HiStream.Describe();
        Assert.NotEqual(a, HiStreamSettings.HiStreamPlus.Describe());
        Assert.NotEqual(a, (HiStreamSettings.HiStream with { Upsample = LatentUpsampleMode.Nearest }).Describe());
        Assert.NotEqual(a, (HiStreamSettings.HiStream with { NeighbourFrames = 6 }).Describe());
        Assert.Equal(a, (HiStreamSettings.HiStream with { }).Describe());
    }
}
