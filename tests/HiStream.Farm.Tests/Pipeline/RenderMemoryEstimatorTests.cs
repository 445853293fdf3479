using HiStream.Engine.Models;
using HiStream.Engine.Pipeline;

namespace HiStream.Farm.Tests.Pipeline;

public sealed class RenderMemoryEstimatorTests
{
    private static readonly RenderMemoryEstimator Wan = new(ModelDimensions.Wan13B);

    [Fact]
    public void ParameterCountMatchesTheReferenceModel() =>
        Assert.Equal(1_418_996_800, ModelDimensions.ParameterCountOf(WanConfig.Wan2_1_T2V_1_3B));

    [Fact]
    public void TheKvCacheDominatesAsModelSpecSection7Says()
    {
        // 1080p HiStream, window 1+3+3 frames: 9.8 GiB high-res + 2.5 GiB low-res KV (model-spec §7).
        double gib = Wan.EstimateVideoBytes(1920, 1088, 21, "histream") / (double)(1L << 30);
        Assert.InRange(gib, 12.3, 16);
        // 480p Self-Forcing with the global window: 5.6 GiB of KV.
        double sf = Wan.EstimateVideoBytes(832, 480, 21, "self-forcing") / (double)(1L << 30);
        Assert.InRange(sf, 5.6, 7.5);
    }

    [Fact]
    public void LongerVideosCostMoreOnlyWithoutTheSlidingWindow()
    {
        Assert.Equal(Wan.EstimateVideoBytes(1920, 1088, 21, "histream") - Latents(21), Wan.EstimateVideoBytes(1920, 1088, 201, "histream") - Latents(201));
        Assert.True(Wan.EstimateVideoBytes(832, 480, 201, "self-forcing") > 5 * Wan.EstimateVideoBytes(832, 480, 21, "self-forcing") / 2);

        static long Latents(int frames) => 4L * 16 * frames * 136 * 240 * 2;
    }

    [Fact]
    public void SlotsOnAnH100()
    {
        long usable = (long)((80L * (1 << 30) - Wan.ModelBytes) * 0.9);
        // 80 GiB minus the 2.64 GiB model and a 10 % reserve leaves 69.6 GiB.
        Assert.Equal(4, (int)(usable / Wan.EstimateVideoBytes(1920, 1088, 21, "histream")));
        Assert.Equal(2, (int)(usable / Wan.EstimateVideoBytes(1920, 1088, 21, "self-forcing"))); // global window at 1080p
        Assert.Equal(10, (int)(usable / Wan.EstimateVideoBytes(832, 480, 21, "self-forcing")));
    }
}
