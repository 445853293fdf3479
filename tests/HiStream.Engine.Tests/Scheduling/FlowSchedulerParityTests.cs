using HiStream.Engine.Scheduling;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Scheduling;

public sealed class FlowSchedulerParityTests
{
    public static TheoryData<string> Cases => ReferenceCases.OfKinds("flow-scheduler");

    [Theory]
    [MemberData(nameof(Cases))]
    public void SchedulerMatchesReference(string caseDir)
    {
        using var c = new ReferenceCase(caseDir);
        var cfg = c.ModelConfig;
        using var scheduler = new FlowMatchScheduler(cfg.GetProperty("shift").GetDouble(), cfg.GetProperty("num_train_timesteps").GetInt32());
        Assert.Equal(4, c.Calls.Count);
        foreach (var call in c.Calls)
        {
            using var scope = torch.NewDisposeScope();
            switch (call.Method)
            {
                case "set_timesteps":
                    c.AssertClose(call, "sigmas", scheduler.Sigmas);
                    c.AssertClose(call, "timesteps", scheduler.Timesteps);
                    c.AssertClose(call, "linear_timesteps_weights", scheduler.LinearTimestepWeights);
                    break;
                case "warp_denoising_step":
                    var steps = c.Tensor(call, "denoising_step_list").data<long>().Select(s => (int)s).ToArray();
                    c.AssertClose(call, "warped_timesteps", torch.tensor(scheduler.WarpSteps(steps)));
                    break;
                case "add_noise":
                    c.AssertClose(call, "x_noisy", scheduler.AddNoise(c.Tensor(call, "x0"), c.Tensor(call, "noise"), c.Tensor(call, "t"), dim: 0));
                    break;
                case "convert_flow_pred_to_x0":
                    c.AssertClose(call, "x0_pred", scheduler.FlowToX0(c.Tensor(call, "xt"), c.Tensor(call, "flow_pred"), c.Tensor(call, "t"), dim: 0));
                    break;
                default:
                    Assert.Fail($"{c.Name}: unknown call '{call.Method}'.");
                    break;
            }
        }
    }

    [Fact]
    public void WarpedStepsAreTheShiftFiveTableEntries()
    {
        using var scheduler = new FlowMatchScheduler();
        Assert.Equal(new[] { 1000f, 937.5f, 833.3333f, 625f }, scheduler.WarpSteps(new[] { 1000, 750, 500, 250 }), new FloatTolerance(1e-3f));
        // t = 0 is not on the table: the nearest entry is the last one, σ ≈ 0.005, not 0.
        Assert.InRange(scheduler.FlowSigma(0f), 0.004f, 0.006f);
        Assert.Equal(0.9375f, scheduler.NoiseSigma(937.5f));
    }

    [Fact]
    public void ScalarAndPerSliceFormsAgree()
    {
        using var scheduler = new FlowMatchScheduler();
        var g = new torch.Generator(7, torch.CPU);
        using var x = torch.randn(new long[] { 1, 4, 3, 2, 2 }, generator: g);
        using var v = torch.randn(new long[] { 1, 4, 3, 2, 2 }, generator: g);
        using var t = torch.full(new long[] { 3 }, 833.3333f);
        using var a = scheduler.FlowToX0(x, v, 833.3333f);
        using var b = scheduler.FlowToX0(x, v, t, dim: 2);
        Assert.True(a.equal(b).all().item<bool>());
        using var n1 = scheduler.AddNoise(x, v, 625f);
        using var n2 = scheduler.AddNoise(x, v, torch.full(new long[] { 3 }, 625f), dim: 2);
        Assert.True(n1.equal(n2).all().item<bool>());
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
