using HiStream.Engine.Pipeline;
using TorchSharp;

namespace HiStream.Farm.Tests.Pipeline;

/// <summary>The composition layer on the real tiny model: chunk by chunk with frames, and a resumed session continues
/// exactly where the uninterrupted one would have.</summary>
public sealed class VideoPipelineTests
{
    // The farm clusters in this test process pin libtorch's thread count to 1 on their device threads (which also makes 1
    // the process default); a test that compares two renders bit for bit pins the same count on its own thread.
    private static readonly PipelineOptions SameThreadsAsTheClusters = new() { Threads = 1 };

    private static readonly VideoRequest Request = new("a red fox in fresh snow", 42, 32, 32, 1 + 4 * 8, SamplerRegistry.SelfForcing, new Dictionary<string, string>());

    [Fact]
    public void TheTinyPipelineRendersChunksWithFramesAndSaysItIsRandom()
    {
        using var pipeline = PipelineFactory.Create(SameThreadsAsTheClusters);
        Assert.True(pipeline.Info.RandomWeights);
        Assert.Equal(64, pipeline.Info.ModelHash.Length);
        Assert.True(pipeline.HasDecoder);
        using var session = pipeline.Open(Request, [], CancellationToken.None);
        Assert.Equal(3, session.ChunkCount);
        int frames = 0;
        for (int i = 0; i < 3; i++)
        {
            using var chunk = session.Next()!;
            Assert.Equal(i, chunk.Index);
            Assert.Equal(new long[] { 16, 3, 4, 4 }, chunk.Latents.shape);
            Assert.Equal(torch.ScalarType.Byte, chunk.Frames!.dtype);
            Assert.Equal(new long[] { i == 0 ? 9 : 12, 32, 32, 3 }, chunk.Frames.shape);
            frames += (int)chunk.Frames.shape[0];
        }
        Assert.Null(session.Next());
        Assert.Equal(Request.Frames, frames);
    }

    [Fact]
    public void AResumedSessionContinuesExactlyAsTheUninterruptedOne()
    {
        using var pipeline = PipelineFactory.Create(SameThreadsAsTheClusters);
        var request = Request with { Frames = 1 + 4 * 5 }; // 6 latent frames: 2 chunks
        var latents = new List<torch.Tensor>();
        var frames = new List<torch.Tensor>();
        using (var session = pipeline.Open(request, [], CancellationToken.None))
            while (session.Next() is { } chunk)
            {
                latents.Add(chunk.Latents);
                frames.Add(chunk.Frames!);
            }

        using (var resumed = pipeline.Open(request, latents.Take(1).ToList(), CancellationToken.None))
        {
            Assert.Equal(1, resumed.ResumedChunks);
            using var next = resumed.Next()!;
            Assert.Equal(1, next.Index);
            Assert.True(latents[1].eq(next.Latents).all().item<bool>(), "resumed latents differ");
            Assert.True(frames[1].eq(next.Frames!).all().item<bool>(), "resumed frames differ (the decoder cache was not rebuilt)");
            Assert.Null(resumed.Next());
        }
        foreach (var t in latents.Concat(frames)) t.Dispose();
    }

    [Fact]
    public void UnknownSamplerOptionsAreRefusedByName()
    {
        var ex = Assert.Throws<ArgumentException>(() => SamplerRegistry.Validate("self-forcing", new Dictionary<string, string> { ["cfg"] = "5" }));
        Assert.Contains("'cfg'", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => SamplerRegistry.Validate("histream", new Dictionary<string, string> { ["laterChunks"] = "two" }));
        Assert.Contains("laterChunks", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => SamplerRegistry.Validate("wan-bidirectional", new Dictionary<string, string> { ["steps"] = "0" }));
        Assert.Contains("Steps", ex.Message);
        SamplerRegistry.Validate("histream-plus", new Dictionary<string, string> { ["neighbourFrames"] = "3", ["laterChunks"] = "1+1" });
        SamplerRegistry.Validate("wan-bidirectional", new Dictionary<string, string> { ["steps"] = "2", ["classifierFreeGuidance"] = "false" });
        Assert.Equal(["self-forcing", "histream", "histream-plus", "wan-bidirectional"], SamplerRegistry.Names);
    }

    [Fact]
    public void ChunkLatentsRoundTripThroughSafetensors()
    {
        var data = Enumerable.Range(0, 2 * 3 * 4 * 5).Select(i => i * 0.5f - 3).ToArray();
        var file = ChunkLatentsFile.Write([2, 3, 4, 5], data, new Dictionary<string, string> { ["job"] = "j" });
        var (shape, back) = ChunkLatentsFile.Read(file);
        Assert.Equal(new long[] { 2, 3, 4, 5 }, shape);
        Assert.Equal(data, back);
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, file);
        var read = HiStream.Engine.Checkpoints.SafeTensorsFile.Load(path); // the engine's reader agrees
        Assert.Equal(data, read[ChunkLatentsFile.TensorName].data<float>().ToArray());
        foreach (var t in read.Values) t.Dispose();
        File.Delete(path);
    }
}
