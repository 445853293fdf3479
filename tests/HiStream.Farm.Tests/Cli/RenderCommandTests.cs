using HiStream.Gateway.Cli;
using HiStream.Gateway.Embedded;
using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Cli;

/// <summary><c>histream render</c> with its embedded silo: a prompt file becomes DIR/&lt;job&gt;/&lt;video&gt;/ with the video,
/// preview and metadata; a second run renders and writes nothing.</summary>
public sealed class RenderCommandTests
{
    [Fact]
    public async Task RendersAPromptFileEndToEndAndASecondRunWritesNothing()
    {
        var dir = Directory.CreateTempSubdirectory("histream-render-");
        var prompts = Path.Combine(dir.FullName, "prompts.txt");
        await File.WriteAllTextAsync(prompts, "# two prompts\na red fox in fresh snow\n\na lighthouse in a storm\n");
        var output = Path.Combine(dir.FullName, "out");
        var options = new EmbeddedFarmOptions { Out = output, Slots = 2 };
        var job = new JobOptions(null, 0, ["cli"], options.Container, null, new ItemSpec { Size = "32x32", Frames = 9 });

        Assert.Equal(0, await RenderCommand.RunAsync(new FileInfo(prompts), options, job, CancellationToken.None));
        var jobDir = Assert.Single(Directory.GetDirectories(output), d => !Path.GetFileName(d).StartsWith('.'));
        var videos = Directory.GetDirectories(jobDir);
        Assert.Equal(2, videos.Length);
        foreach (var video in videos)
            foreach (var file in new[] { "metadata.json", "video.mp4", "preview.png", "chunks/0000.safetensors" })
                Assert.True(File.Exists(Path.Combine(video, file)), $"{video}/{file} is missing");
        foreach (var file in new[] { "results.jsonl", "contact-sheet.png" })
            Assert.True(File.Exists(Path.Combine(jobDir, file)), $"{jobDir}/{file} is missing");
        var before = Snapshot(output);

        Assert.Equal(0, await RenderCommand.RunAsync(new FileInfo(prompts), options, job, CancellationToken.None));
        var after = Snapshot(output);
        var results = after.Keys.Where(k => !k.StartsWith(".histream")).ToList();
        Assert.Equal(before.Where(k => !k.Key.StartsWith(".histream")), after.Where(k => !k.Key.StartsWith(".histream")));
        Assert.Equal(12, results.Count); // 5 files per video, plus the job's results.jsonl and contact sheet
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task ABadPromptFileIsRefusedAndNothingRenders()
    {
        var dir = Directory.CreateTempSubdirectory("histream-render-");
        var prompts = Path.Combine(dir.FullName, "prompts.jsonl");
        await File.WriteAllTextAsync(prompts, "{\"prompt\": \"ok\"}\n{\"prompt\": \"bad size\", \"size\": \"30x30\"}\n");
        var output = Path.Combine(dir.FullName, "out");
        var options = new EmbeddedFarmOptions { Out = output };
        var job = new JobOptions(null, 0, [], options.Container, null, new ItemSpec { Frames = 9 });
        Assert.Equal(2, await RenderCommand.RunAsync(new FileInfo(prompts), options, job, CancellationToken.None));
        Assert.DoesNotContain(Directory.GetDirectories(output), d => !Path.GetFileName(d).StartsWith('.'));
        dir.Delete(recursive: true);
    }

    private static Dictionary<string, (long, DateTime)> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            p => Path.GetRelativePath(root, p), p => (new FileInfo(p).Length, File.GetLastWriteTimeUtc(p)));
}
