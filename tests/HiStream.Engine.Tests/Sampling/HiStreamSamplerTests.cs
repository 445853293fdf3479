using HiStream.Engine.Caching;
using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamSamplerTests : IDisposable
{
    private readonly TinySamplerModel _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void PassesRunTheStepPlanAtTheRightResolutionsAndTimesteps()
    {
        var spy = new RecordingChunkModel(_tiny.Model);
        var sampler = new HiStreamSampler(spy, HiStreamSettings.HiStreamPlus, "histream-plus");
        var chunks = TinySamplerModel.Latents(sampler.Generate(_tiny.Request(9)));

        string Describe(RecordingChunkModel.Pass p) => $"{(p.Shape[3] == 8 ? "hi" : "lo")}@{p.Timestep:0.#}/f{p.StartFrame}";
        Assert.Equal(new[]
        {
            "lo@1000/f0", "lo@937.5/f0", "hi@833.3/f0", "hi@625/f0",   // chunk 0: full 2 + 2
            "hi@0/f0", "lo@0/f0",                                    // commit chunk 0 (refresh hi, then lo from Down2)
            "lo@1000/f3", "hi@625/f3",                               // chunk 1: asymmetric 1 + 1
            "hi@0/f3", "lo@0/f3",
            "lo@1000/f6", "hi@625/f6",                               // last chunk: no refresh after it
        }, spy.Passes.Select(Describe));
        Assert.All(chunks, c => Assert.Equal(new long[] { 16, 3, 8, 8 }, c.shape));

        var plan = sampler.Plan(_tiny.Request(9));
        Assert.Equal(new[] { 6, 4, 2 }, plan.ModelPassesPerChunk);
        Assert.Equal("chunk 1: lo@1000, hi@625, refresh-hi, refresh-lo", plan.StepDescriptions[1]);
    }

    [Fact]
    public void SelfForcingRunsFourFullResolutionStepsAndOneRefreshPerChunk()
    {
        var sampler = SamplerFactory.Create(SamplerFactory.SelfForcing, _tiny.Models);
        var plan = sampler.Plan(_tiny.Request(9));
        Assert.Equal(new[] { 5, 5, 4 }, plan.ModelPassesPerChunk);
        Assert.Equal("chunk 0: hi@1000, hi@937.5, hi@833.333, hi@625, refresh-hi", plan.StepDescriptions[0]);
        var hs = SamplerFactory.Create(SamplerFactory.HiStream, _tiny.Models).Plan(_tiny.Request(9));
        Assert.Equal(new[] { 6, 6, 4 }, hs.ModelPassesPerChunk);
        Assert.Equal("chunk 2: lo@1000, lo@937.5, hi@833.333, hi@625", hs.StepDescriptions[2]);
    }

    [Fact]
    public void HighResPassesUseNtkScaledSpatialRopeAndLowResPassesThePlainTable()
    {
        var spy = new RecordingChunkModel(_tiny.Model);
        var sampler = new HiStreamSampler(spy, HiStreamSettings.HiStream);
        foreach (var c in sampler.Generate(_tiny.Request(3))) c.Latents.Dispose();
        var hi = spy.Passes.Where(p => p.Shape[3] == 8).Select(p => p.Thetas).Distinct().Single();
        var lo = spy.Passes.Where(p => p.Shape[3] == 4).Select(p => p.Thetas).Distinct().Single();
        Assert.Equal(new RopeThetas(10000, 10000, 10000), lo);
        double scaled = HiStreamNtkRope.ScaledTheta(10000, 2 * 4, 2.0); // tiny head_dim 24: 4 pairs per axis
        Assert.Equal(new RopeThetas(10000, scaled, scaled), hi);
    }

    [Fact]
    public void ChunksAttendToTheAnchorAndTheNewestFramesOnly()
    {
        var reports = new List<ChunkCacheReport>();
        var sampler = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream, cacheObserver: reports.Add);
        foreach (var c in sampler.Generate(_tiny.Request(18))) c.Latents.Dispose();

        Assert.Equal(6, reports.Count);
        Assert.Equal(new[] { 0, 1, 2 }, reports[0].FramesAttendedHigh);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, reports[1].FramesAttendedHigh);
        // The paper's window: the anchor (frame 0), the M - 1 = 2 newest history frames and the chunk itself.
        Assert.Equal(new[] { 0, 4, 5, 6, 7, 8 }, reports[2].FramesAttendedHigh);          // frames 1, 2, 3 evicted
        Assert.Equal(new[] { 0, 13, 14, 15, 16, 17 }, reports[5].FramesAttendedHigh);     // anchor kept
        foreach (var r in reports)
        {
            Assert.Equal(r.FramesAttendedHigh, r.FramesAttendedLow);
            Assert.Equal(HiStreamWindow.FramesSeen(r.Chunk, 3, 6, 1), r.FramesAttendedHigh);
        }
    }

    [Fact]
    public void CacheMemoryIsConstantOverManyChunksAndIndependentOfLength()
    {
        long Peak(HiStreamSettings settings, int frames, List<long>? perChunk = null)
        {
            long peak = 0;
            var sampler = new HiStreamSampler(_tiny.Model, settings, cacheObserver: r => { perChunk?.Add(r.KvCacheBytes); peak = r.PeakKvCacheBytes; });
            foreach (var c in sampler.Generate(_tiny.Request(frames))) c.Latents.Dispose();
            return peak;
        }

        var perChunk = new List<long>();
        long twelveChunks = Peak(HiStreamSettings.HiStream, 36, perChunk);
        Assert.Equal(12, perChunk.Count);
        Assert.All(perChunk, b => Assert.Equal(perChunk[0], b));
        // window of 6 frames x (16 high + 4 low tokens) x K+V x 2 layers x dim 48 x 4 bytes
        Assert.Equal(6L * (16 + 4) * 2 * 2 * 48 * 4, twelveChunks);
        Assert.Equal(7L * (16 + 4) * 2 * 2 * 48 * 4, Peak(HiStreamSettings.HiStreamFlopFittedWindow, 36)); // one frame more
        Assert.Equal(twelveChunks, Peak(HiStreamSettings.HiStream, 72));

        // The reference loop keeps the whole history in one cache: it grows with the video.
        long sfShort = Peak(HiStreamSettings.SelfForcingReference, 36), sfLong = Peak(HiStreamSettings.SelfForcingReference, 72);
        Assert.Equal(36L * 16 * 2 * 2 * 48 * 4, sfShort);
        Assert.Equal(2 * sfShort, sfLong);
    }

    [Theory]
    [InlineData("histream-plus", TemporalPositionPolicy.Absolute, true)]
    [InlineData("histream", TemporalPositionPolicy.RollingAnchor, true)]
    [InlineData("histream", TemporalPositionPolicy.Absolute, false)]
    public void ResumedRunEqualsUninterruptedRun(string preset, TemporalPositionPolicy positions, bool refreshLow)
    {
        var settings = (preset == "histream" ? HiStreamSettings.HiStream : HiStreamSettings.HiStreamPlus) with
        {
            TemporalPositions = positions,
            RefreshLowCache = refreshLow,
        };
        var request = _tiny.Request(18);
        var full = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, settings).Generate(request));

        // Stop after two chunks; a new sampler resumes from their latents (plus the same seed and settings).
        var firstTwo = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, settings).Generate(request).Take(2));
        var resumed = new HiStreamSampler(_tiny.Model, settings).Generate(request, new SamplerResumeState(firstTwo)).ToList();

        Assert.Equal(new[] { 2, 3, 4, 5 }, resumed.Select(c => c.Index));
        Assert.Equal(new[] { 6, 9, 12, 15 }, resumed.Select(c => c.FirstLatentFrame));
        for (int i = 0; i < resumed.Count; i++)
            Assert.True(torch.allclose(full[i + 2], resumed[i].Latents, 0, 0), $"chunk {i + 2} differs after resume");
    }

    [Fact]
    public void ResumeRejectsAStateThatDoesNotFitTheRequest()
    {
        var sampler = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream);
        var wrong = new SamplerResumeState(new[] { torch.zeros(16, 3, 4, 4) });
        var e = Assert.Throws<ArgumentException>(() => sampler.Generate(_tiny.Request(9), wrong));
        Assert.Contains("Finished chunk 0", e.Message);
    }

    [Fact]
    public void ChunksAreYieldedOneAtATime()
    {
        var spy = new RecordingChunkModel(_tiny.Model);
        var sampler = new HiStreamSampler(spy, HiStreamSettings.HiStream);
        using var e = sampler.Generate(_tiny.Request(9)).GetEnumerator();
        Assert.Empty(spy.Passes);                // nothing runs before the first MoveNext
        Assert.True(e.MoveNext());
        Assert.Equal(4, spy.Passes.Count);       // chunk 0 handed out after its 4 denoising passes
        Assert.Equal(0, e.Current.Index);
        Assert.Equal(4, e.Current.Timing.ModelPasses);
        Assert.True(e.MoveNext());
        Assert.Equal(10, spy.Passes.Count);      // commit chunk 0 (2 refresh passes) + chunk 1 (4)
        Assert.Equal(6, e.Current.Timing.ModelPasses);
    }

    [Fact]
    public void RecordedPassesMatchTheAnalyticPassShapes()
    {
        var spy = new RecordingChunkModel(_tiny.Model);
        var request = _tiny.Request(15);
        foreach (var c in new HiStreamSampler(spy, HiStreamSettings.HiStreamPlus).Generate(request)) c.Latents.Dispose();
        var analytic = SamplerPassShapes.HiStream(HiStreamSettings.HiStreamPlus, request).SelectMany(p => p).ToList();
        Assert.Equal(analytic.Count, spy.Passes.Count);
        for (int i = 0; i < analytic.Count; i++)
        {
            long tpf = spy.Passes[i].Shape[3] / 2 * (spy.Passes[i].Shape[4] / 2);
            Assert.Equal(analytic[i].QueryTokens, spy.Passes[i].Shape[2] * tpf);
            Assert.Equal(analytic[i].KeyTokens, spy.Passes[i].FramesAttended * tpf);
        }
    }

    [Fact]
    public void BadSettingsFailAtConstructionAndBadRequestsBeforeAnyPass()
    {
        var e = Assert.Throws<ArgumentException>(() => new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { Window = 2 }));
        Assert.Contains("HiStreamSettings.Window", e.Message);
        var spy = new RecordingChunkModel(_tiny.Model);
        var sampler = new HiStreamSampler(spy, HiStreamSettings.HiStream);
        Assert.Throws<ArgumentException>(() => sampler.Generate(_tiny.Request(0)));
        Assert.Throws<ArgumentException>(() => sampler.Generate(_tiny.Request(3, h: 6)));
        Assert.Empty(spy.Passes);
    }
}

public sealed class SamplerCheckpointTests : IDisposable
{
    private readonly TinySamplerModel _tiny = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("histream-ckpt-").FullName;

    public void Dispose()
    {
        _tiny.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ASavedCheckpointResumesToTheUninterruptedVideo()
    {
        var request = _tiny.Request(12, seed: 99);
        var full = TinySamplerModel.Latents(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStreamPlus, "histream-plus").Generate(request));

        var sampler = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStreamPlus, "histream-plus");
        var done = TinySamplerModel.Latents(sampler.Generate(request).Take(2));
        var path = Path.Combine(_dir, "video.safetensors");
        SamplerCheckpoint.Capture(sampler, request, done).Save(path);

        var loaded = SamplerCheckpoint.Load(path);
        var fresh = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStreamPlus, "histream-plus");
        var rest = TinySamplerModel.Latents(fresh.Generate(loaded.Request, loaded.ResumeStateFor(fresh)));
        Assert.Equal(2, rest.Count);
        Assert.True(torch.allclose(full[2], rest[0], 0, 0));
        Assert.True(torch.allclose(full[3], rest[1], 0, 0));
    }

    [Fact]
    public void ResumingWithOtherSettingsOrAnotherSamplerFails()
    {
        var request = _tiny.Request(6);
        var sampler = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream);
        var ckpt = SamplerCheckpoint.Capture(sampler, request, TinySamplerModel.Latents(sampler.Generate(request).Take(1)));
        var other = new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStream with { NeighbourFrames = 6 });
        var e = Assert.Throws<ArgumentException>(() => ckpt.ResumeStateFor(other));
        Assert.Contains("window=10", e.Message);
        Assert.Throws<ArgumentException>(() => ckpt.ResumeStateFor(new HiStreamSampler(_tiny.Model, HiStreamSettings.HiStreamPlus, "histream-plus")));
    }
}
