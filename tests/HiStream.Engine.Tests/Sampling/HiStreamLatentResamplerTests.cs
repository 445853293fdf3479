using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

public sealed class HiStreamLatentResamplerTests
{
    [Fact]
    public void AveragePoolDownAveragesEach2x2BlockPerFrameAndChannel()
    {
        var x = torch.arange(2 * 3 * 4 * 4, dtype: torch.float32).reshape(2, 3, 4, 4); // [C, F, H, W]
        var y = new HiStreamLatentResampler(2, LatentUpsampleMode.Bilinear, LatentDownsampleMode.AveragePool).Down(x);
        Assert.Equal(new long[] { 2, 3, 2, 2 }, y.shape);
        // channel 1, frame 2, block (1, 0): rows 2-3, cols 0-1 of that frame
        var frame = x[1, 2];
        float expected = (frame[2, 0].item<float>() + frame[2, 1].item<float>() + frame[3, 0].item<float>() + frame[3, 1].item<float>()) / 4;
        Assert.Equal(expected, y[1, 2, 1, 0].item<float>());
    }

    [Fact]
    public void BilinearUpWithoutAlignCornersMatchesHandComputedValues()
    {
        // One 2x2 frame [[0, 1], [2, 3]]: half-pixel-centre bilinear x2 gives rows [0, .25, .75, 1] + 2·[0, .25, .75, 1].
        var x = torch.tensor(new float[] { 0, 1, 2, 3 }).reshape(1, 1, 2, 2);
        var y = new HiStreamLatentResampler(2, LatentUpsampleMode.Bilinear, LatentDownsampleMode.AveragePool).Up(x);
        var row = new[] { 0f, 0.25f, 0.75f, 1f };
        var expected = torch.tensor(new[] { 0f, 0.5f, 1.5f, 2f }.SelectMany(r => row.Select(c => r + c)).ToArray()).reshape(1, 1, 4, 4);
        Assert.True(torch.allclose(y, expected, 1e-6, 1e-6), y.ToString(TorchSharp.TensorStringStyle.Julia));
    }

    [Fact]
    public void FramesAreResampledIndependentlyAndBatchedLayoutWorks()
    {
        var x = torch.randn(new long[] { 2, 16, 3, 4, 6 }, generator: new torch.Generator(1));
        var r = new HiStreamLatentResampler(2, LatentUpsampleMode.Bicubic, LatentDownsampleMode.BilinearAntialias);
        var up = r.Up(x);
        Assert.Equal(new long[] { 2, 16, 3, 8, 12 }, up.shape);
        var oneFrame = r.Up(x[1, .., 2].unsqueeze(1));
        Assert.True(torch.allclose(up[1, .., 2].unsqueeze(1), oneFrame, 1e-6, 1e-6));
        Assert.Equal(new long[] { 2, 16, 3, 2, 3 }, r.Down(x).shape);
    }

    [Fact]
    public void DownAfterUpRestoresAConstantAndFactorOneIsTheIdentity()
    {
        var c = torch.full(new long[] { 16, 3, 4, 4 }, 0.7f);
        var r = new HiStreamLatentResampler(2, LatentUpsampleMode.Bilinear, LatentDownsampleMode.AveragePool);
        Assert.True(torch.allclose(r.Down(r.Up(c)), c, 1e-6, 1e-6));
        var x = torch.randn(16, 3, 4, 4);
        var one = new HiStreamLatentResampler(1, LatentUpsampleMode.Bilinear, LatentDownsampleMode.AveragePool);
        Assert.True(torch.allclose(one.Up(x), x, 0, 0) && torch.allclose(one.Down(x), x, 0, 0));
    }

    [Fact]
    public void NearestDownKeepsTheTopLeftSample()
    {
        var x = torch.arange(16, dtype: torch.float32).reshape(1, 1, 4, 4);
        var y = new HiStreamLatentResampler(2, LatentUpsampleMode.Nearest, LatentDownsampleMode.Nearest).Down(x);
        Assert.Equal(new float[] { 0, 2, 8, 10 }, y.flatten().data<float>().ToArray());
    }
}
