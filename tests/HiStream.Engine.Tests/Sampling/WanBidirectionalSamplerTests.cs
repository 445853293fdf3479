using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

public sealed class WanBidirectionalSamplerTests : IDisposable
{
    private readonly TinySamplerModel _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void PlanIsFiftyStepsOfCondAndUncondOverTheWholeVideo()
    {
        var plan = new WanBidirectionalSampler(_tiny.Model).Plan(_tiny.Request(9));
        Assert.Equal(1, plan.Chunks);
        Assert.Equal(new[] { 100 }, plan.ModelPassesPerChunk);
        Assert.Equal(50, plan.StepDescriptions.Count);
        Assert.StartsWith("step 0: t=1000 over 9 frames (cond+uncond)", plan.StepDescriptions[0]);
    }

    [Fact]
    public void YieldsEveryFrameAsOneChunk()
    {
        var sampler = new WanBidirectionalSampler(_tiny.Model, WanBidirectionalSettings.Default with { Steps = 3 });
        var chunks = sampler.Generate(_tiny.Request(9)).ToList();
        var only = Assert.Single(chunks);
        Assert.Equal(new long[] { 16, 9, 8, 8 }, only.Latents.shape);
        Assert.Equal(6, only.Timing.ModelPasses);
        Assert.True(only.Latents.isfinite().all().item<bool>());
    }

    [Fact]
    public void GuidanceScaleOneEqualsTheConditionalPassAlone()
    {
        var request = _tiny.Request(6);
        var cfgOne = new WanBidirectionalSampler(_tiny.Model, WanBidirectionalSettings.Default with { Steps = 2, GuidanceScale = 1 }).Generate(request).Single();
        var noCfg = new WanBidirectionalSampler(_tiny.Model, WanBidirectionalSettings.Default with { Steps = 2, ClassifierFreeGuidance = false }).Generate(request).Single();
        Assert.True(torch.allclose(cfgOne.Latents, noCfg.Latents, 1e-5, 1e-5));
        var cfgFive = new WanBidirectionalSampler(_tiny.Model, WanBidirectionalSettings.Default with { Steps = 2 }).Generate(request).Single();
        Assert.False(torch.allclose(cfgFive.Latents, noCfg.Latents, 1e-3, 1e-3));
    }

    [Fact]
    public void TheMultistepSolverUsesThePreviousVelocity()
    {
        var request = _tiny.Request(3);
        var settings = WanBidirectionalSettings.Default with { Steps = 3, ClassifierFreeGuidance = false };
        var euler = new WanBidirectionalSampler(_tiny.Model, settings).Generate(request).Single().Latents;
        var multistep = new WanBidirectionalSampler(_tiny.Model, settings with { Solver = FlowSolver.Multistep2 }).Generate(request).Single().Latents;
        Assert.True(multistep.isfinite().all().item<bool>());
        Assert.False(torch.allclose(euler, multistep, 1e-4, 1e-4));
        // One step has no previous velocity: both solvers take the same Euler step.
        var e1 = new WanBidirectionalSampler(_tiny.Model, settings with { Steps = 1 }).Generate(request).Single().Latents;
        var m1 = new WanBidirectionalSampler(_tiny.Model, settings with { Steps = 1, Solver = FlowSolver.Multistep2 }).Generate(request).Single().Latents;
        Assert.True(torch.allclose(e1, m1, 0, 0));
    }

    [Fact]
    public void CannotResumeFromFinishedChunks()
    {
        var sampler = new WanBidirectionalSampler(_tiny.Model);
        Assert.Throws<NotSupportedException>(() => sampler.Generate(_tiny.Request(3), new SamplerResumeState(new[] { torch.zeros(16, 3, 8, 8) })));
    }

    [Fact]
    public void FactoryBuildsEverySamplerOnTheSameModel()
    {
        foreach (var name in SamplerFactory.Names)
        {
            var s = SamplerFactory.Create(name, _tiny.Models, new SamplerOptions { WanBidirectional = WanBidirectionalSettings.Default with { Steps = 1 } });
            Assert.Equal(name, s.Name);
            var chunks = s.Generate(_tiny.Request(6)).ToList();
            Assert.Equal(6, chunks.Sum(c => c.Latents.shape[1]));
        }
    }
}
