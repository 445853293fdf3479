using HiStream.Abstractions.Jobs;
using HiStream.Gateway.Cli;
using HiStream.Gateway.Jobs;
using Microsoft.Extensions.Configuration;

namespace HiStream.Farm.Tests.Cli;

/// <summary>The first run: <c>render</c> defaults to the histream sampler with defaults it accepts (tiny model and
/// real weights), and a summary that is plain lines when the output is not a terminal.</summary>
public sealed class FirstRunTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RenderDefaultsToHistreamWithAValidDefaultItem(bool realWeights)
    {
        var settings = new Dictionary<string, string?>();
        if (realWeights) settings["Engine:DitWeights"] = "/models/self_forcing_dmd.pt";
        RenderDefaults.Apply(settings);
        var limits = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(GatewayLimits.Section).Get<GatewayLimits>() ?? new GatewayLimits();
        var errors = new List<KeyValuePair<string, string>>();
        var item = new ItemValidator(limits, limits.Admission(new HiStream.Engine.Pipeline.PipelineOptions(), new HiStream.Grains.Hosting.FarmOptions())).Validate(new ItemSpec { Prompt = "a red fox in fresh snow" }, new ItemSpec(), 0, "items[0]", errors);
        Assert.Empty(errors);
        Assert.Equal("histream", item!.Settings.Sampler);
        Assert.Equal(realWeights ? (832, 480, 81) : (256, 160, 33), (item.Settings.Width, item.Settings.Height, item.Settings.Frames));
    }

    [Fact]
    public void RenderKeepsASamplerTheUserChose()
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Limits:DefaultSampler"] = "self-forcing" };
        RenderDefaults.Apply(settings);
        Assert.Equal("self-forcing", settings["Gateway:Limits:DefaultSampler"]);
    }

    [Fact]
    public void ThePlainSummaryIsOneFieldPerLine()
    {
        var status = new JobStatus("job-1", JobState.Completed, 0, [], 4, 0, 3, 0, 1, 0, 1, TimeSpan.Zero, null, null, null, null) { GpuSeconds = 12.34 };
        var lines = ProgressView.PlainSummary(status).TrimEnd('\n').Split('\n');
        Assert.Equal(["job", "state", "total", "rendering", "completed", "skipped", "failed", "cancelled", "progress", "eta", "gpuSeconds"],
            lines.Select(l => l.Split(' ')[0]));
        Assert.Contains("state      Completed", lines);
        Assert.Contains("failed     1", lines);
        Assert.Contains("gpuSeconds 12.3", lines);
        Assert.All(lines, l => Assert.True(l.Length <= 40, $"'{l}' is wider than a narrow terminal"));
    }
}
