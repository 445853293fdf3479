using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>The FLOP model must reproduce model-spec §7.</summary>
public sealed class FlopModelTests
{
    private static readonly FlopModel Wan = FlopModel.Wan13B;
    private static SamplingRequest Request(int h, int w) => new(torch.zeros(1, 4), 0, 21, h, w);

    [Fact]
    public void PerTokenAndPerPairConstantsMatchTheSpec()
    {
        Assert.Equal(2.501e9, Wan.LinearFlopsPerToken, 0.001e9);
        Assert.Equal(0.094e9, Wan.CrossAttentionFlopsPerToken, 0.001e9);
        Assert.Equal(184_320, Wan.SelfAttentionFlopsPerPair);
    }

    [Theory]
    [InlineData(4680, 4680, 16.2)]
    [InlineData(4680, 32760, 40.4)]
    [InlineData(24480, 24480, 174.0)]
    [InlineData(24480, 171360, 836.7)]
    [InlineData(24480, 57120, 321.3)]
    [InlineData(6120, 14280, 32.0)]
    [InlineData(6120, 6120, 22.8)]
    // The paper's window of 6 frames: 24,480 x 2.595 G + 184,320 x 24,480 x 48,960 = 63.5 T + 220.9 T,
    // and at low res 6,120 x 2.595 G + 184,320 x 6,120 x 12,240 = 15.9 T + 13.8 T.
    [InlineData(24480, 48960, 284.4)]
    [InlineData(6120, 12240, 29.7)]
    public void PassCostsMatchTheSpecTable(long q, long k, double teraFlops)
    {
        var flops = Wan.PassFlops(new ModelPassShape(PassRole.Denoise, StageResolution.High, q, k));
        Assert.Equal(teraFlops, flops / 1e12, 0.1);
    }

    [Fact]
    public void AttentionIsMostOfALate1080pPass()
    {
        Assert.Equal(0.92, Wan.AttentionShare(new ModelPassShape(PassRole.Denoise, StageResolution.High, 24480, 171360)), 2);
        Assert.True(Wan.AttentionShare(new ModelPassShape(PassRole.Denoise, StageResolution.Low, 6120, 6120)) < 0.35);
    }

    [Fact]
    public void WholeClipTotalsMatchTheSpec()
    {
        // The spec's §7 table was computed with the FLOP-fitted window of 7 frames.
        var hd = Request(136, 240);
        var withLastRefresh = HiStreamSettings.HiStreamFlopFittedWindow with { RefreshAfterLastChunk = true };
        Assert.Equal(585.7, Wan.TotalFlops(SamplerPassShapes.WanBidirectional(hd, 50, true)) / 1e15, 0.1);
        Assert.Equal(17.7, Wan.TotalFlops(SamplerPassShapes.SelfForcing(hd, refreshAfterLastChunk: true)) / 1e15, 0.05);
        Assert.Equal(0.99, Wan.TotalFlops(SamplerPassShapes.SelfForcing(Request(60, 104), refreshAfterLastChunk: true)) / 1e15, 0.01);
        var hs = SamplerPassShapes.HiStream(withLastRefresh, hd);
        Assert.Equal(6.83, Wan.TotalFlops(hs) / 1e15, 0.01);
        Assert.Equal(1.06, Wan.ChunkFlops(hs[6]) / 1e15, 0.01);
        var plus = SamplerPassShapes.HiStream(withLastRefresh with { LaterChunks = ChunkStepPlan.Counts(1, 1) }, hd);
        Assert.Equal(4.75, Wan.TotalFlops(plus) / 1e15, 0.01);
        Assert.Equal(0.71, Wan.ChunkFlops(plus[6]) / 1e15, 0.01);
    }

    [Fact]
    public void WholeClipTotalsOfThePapersWindow()
    {
        // Window 6 (the default). A HiStream chunk is 3 high + 3 low passes (2 steps + 1 refresh each) attending f frames:
        // 3 x (63.53 T + 36.82 T f) + 3 x (15.88 T + 2.30 T f) = 238.2 T + 117.4 T f.
        // Chunks see 3, 6, then 6 frames: 7 x 238.2 T + 117.4 T x (3 + 6 x 6) = 6.24 P; a steady chunk 0.94 P.
        // HiStream+ later chunks are 2 + 2 passes: 158.8 T + 78.2 T f = 0.63 P; total 0.59 P (chunk 0) + 6 x 0.63 P = 4.36 P.
        var hd = Request(136, 240);
        var withLastRefresh = HiStreamSettings.HiStream with { RefreshAfterLastChunk = true };
        var hs = SamplerPassShapes.HiStream(withLastRefresh, hd);
        Assert.Equal(6.24, Wan.TotalFlops(hs) / 1e15, 0.01);
        Assert.Equal(0.94, Wan.ChunkFlops(hs[6]) / 1e15, 0.01);
        var plus = SamplerPassShapes.HiStream(withLastRefresh with { LaterChunks = ChunkStepPlan.Counts(1, 1) }, hd);
        Assert.Equal(4.36, Wan.TotalFlops(plus) / 1e15, 0.01);
        Assert.Equal(0.63, Wan.ChunkFlops(plus[6]) / 1e15, 0.01);
    }

    [Fact]
    public void HiStreamPassListFollowsTheSettings()
    {
        var hd = Request(136, 240);
        var hs = SamplerPassShapes.HiStream(HiStreamSettings.HiStream, hd);
        Assert.Equal(6, hs[0].Count);
        Assert.Equal(4, hs[6].Count); // no refresh after the last chunk by default
        Assert.Equal(new[] { StageResolution.Low, StageResolution.Low, StageResolution.High, StageResolution.High, StageResolution.High, StageResolution.Low },
            hs[0].Select(p => p.Stage));
        Assert.Equal(3 * 2040, hs[0][0].QueryTokens);
        Assert.Equal(6 * 8160, hs[5][2].KeyTokens); // the window's 6 frames at 68 x 120 tokens each
        Assert.Equal(3 * 8160, hs[0][2].KeyTokens);
        Assert.Equal(hs[1].Select(Wan.PassFlops), hs[5].Select(Wan.PassFlops)); // flat once the window is full (chunk 1 sees frames 0-5)
        var plus = SamplerPassShapes.HiStream(HiStreamSettings.HiStreamPlus, hd);
        Assert.Equal(4, plus[1].Count);
    }
}
