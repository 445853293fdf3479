using HiStream.Engine.Sampling;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamSettingsOptionsTests
{
    [Fact]
    public void EveryKeyMapsToItsSetting()
    {
        var s = HiStreamSettingsOptions.Parse(HiStreamSettings.HiStream, new Dictionary<string, string>
        {
            ["lowResolutionFactor"] = "1", ["upsample"] = "nearest", ["downsample"] = "bilinear-antialias", ["ntkScale"] = "2.27",
            ["ntkAxes"] = "height,width,time", ["anchorFrames"] = "3", ["neighbourFrames"] = "6", ["slidingWindow"] = "true",
            ["firstChunk"] = "1+3", ["laterChunks"] = "0|3", ["refreshLowCache"] = "false", ["refreshAfterLastChunk"] = "true",
            ["temporalPositions"] = "rolling-anchor",
        });
        Assert.Equal(1, s.LowResolutionFactor);
        Assert.Equal(LatentUpsampleMode.Nearest, s.Upsample);
        Assert.Equal(LatentDownsampleMode.BilinearAntialias, s.Downsample);
        Assert.Equal(2.27, s.NtkScale);
        Assert.Equal(RopeAxes.Time | RopeAxes.Spatial, s.NtkAxes);
        Assert.Equal(12, s.WindowFrames);
        Assert.Equal("1 low + 3 high", s.FirstChunk.ToString());
        Assert.Equal(new[] { 0 }, s.LaterChunks.LowIndices);
        Assert.Equal(new[] { 3 }, s.LaterChunks.HighIndices);
        Assert.False(s.RefreshLowCache);
        Assert.True(s.RefreshAfterLastChunk);
        Assert.Equal(TemporalPositionPolicy.RollingAnchor, s.TemporalPositions);
        Assert.Equal(HiStreamSettings.HiStream.Describe(), HiStreamSettingsOptions.Parse(HiStreamSettings.HiStream, new Dictionary<string, string>()).Describe());
    }

    [Theory]
    [InlineData("windw", "3", "not a HiStream option")]
    [InlineData("upsample", "lanczos", "valid values: Bilinear, Nearest, Bicubic")]
    [InlineData("laterChunks", "3", "'low+high'")]
    [InlineData("window", "2", "HiStreamSettings.Window")]
    [InlineData("laterChunks", "4+1", "HiStreamSettings.LaterChunks")]
    [InlineData("anchorFrames", "2147483647", "HiStream option 'anchorFrames' = '2147483647': HiStreamSettings.AnchorFrames must be 0..1024")]
    [InlineData("neighbourFrames", "2147483646", "HiStream option 'neighbourFrames' = '2147483646': HiStreamSettings.NeighbourFrames must be 0..1024")]
    [InlineData("neighbourFrames", "1021", "AnchorFrames + NeighbourFrames + FramesPerChunk = 1 + 1021 + 3 latent frames, more than 1024")]
    [InlineData("framesPerChunk", "2147483647", "HiStream option 'framesPerChunk' = '2147483647': HiStreamSettings.FramesPerChunk must be 1..1024")]
    [InlineData("window", "2147483647", "HiStream option 'window' = '2147483647': HiStreamSettings.Window must be at most 1024")]
    [InlineData("lowResolutionFactor", "2147483647", "HiStream option 'lowResolutionFactor' = '2147483647': HiStreamSettings.LowResolutionFactor must be 1..16")]
    [InlineData("firstChunk", "2147483647+1", "HiStream option 'firstChunk' = '2147483647+1': HiStreamSettings.FirstChunk: 2147483647 low + 1 high steps need 2147483648 timesteps")]
    public void BadOptionsAreNamed(string key, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => HiStreamSettingsOptions.Parse(HiStreamSettings.HiStream, new Dictionary<string, string> { [key] = value }));
        Assert.Contains(message, e.Message);
    }
}
