using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Sampling;

/// <summary>
/// The DRC latent resampling operators: Up (low → high, before the high-res steps) and Down (high → low, for the
/// low-res cache refresh). Both work per frame on latents laid out [C, F, H, W] or [B, C, F, H, W].
/// </summary>
public sealed class HiStreamLatentResampler
{
    public HiStreamLatentResampler(int factor, LatentUpsampleMode upsample, LatentDownsampleMode downsample)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The resampling factor must be at least 1.");
        Factor = factor;
        UpsampleMode = upsample;
        DownsampleMode = downsample;
    }

    public int Factor { get; }
    public LatentUpsampleMode UpsampleMode { get; }
    public LatentDownsampleMode DownsampleMode { get; }

    /// <summary>Enlarges each frame by <see cref="Factor"/> on both sides; factor 1 returns a copy.</summary>
    public Tensor Up(Tensor latent)
    {
        if (Factor == 1) return latent.clone();
        return PerFrame(latent, frames =>
        {
            var size = new[] { frames.shape[2] * Factor, frames.shape[3] * Factor };
            return UpsampleMode switch
            {
                LatentUpsampleMode.Bilinear => nn.functional.interpolate(frames, size, mode: InterpolationMode.Bilinear, align_corners: false),
                LatentUpsampleMode.Bicubic => nn.functional.interpolate(frames, size, mode: InterpolationMode.Bicubic, align_corners: false),
                LatentUpsampleMode.Nearest => nn.functional.interpolate(frames, size, mode: InterpolationMode.Nearest),
                _ => throw new ArgumentOutOfRangeException(nameof(UpsampleMode), UpsampleMode, null),
            };
        });
    }

    /// <summary>Shrinks each frame by <see cref="Factor"/> on both sides; factor 1 returns a copy.</summary>
    public Tensor Down(Tensor latent)
    {
        if (Factor == 1) return latent.clone();
        long h = latent.shape[^2], w = latent.shape[^1];
        if (h % Factor != 0 || w % Factor != 0)
            throw new ArgumentException($"Latent frames of {h}x{w} cannot be reduced by a factor of {Factor}.", nameof(latent));
        return PerFrame(latent, frames =>
        {
            var size = new[] { h / Factor, w / Factor };
            return DownsampleMode switch
            {
                LatentDownsampleMode.AveragePool => nn.functional.avg_pool2d(frames, Factor),
                LatentDownsampleMode.BilinearAntialias => nn.functional.interpolate(frames, size, mode: InterpolationMode.Bilinear, align_corners: false, antialias: true),
                LatentDownsampleMode.Nearest => frames[.., .., TensorIndex.Slice(0, null, Factor), TensorIndex.Slice(0, null, Factor)].contiguous(),
                _ => throw new ArgumentOutOfRangeException(nameof(DownsampleMode), DownsampleMode, null),
            };
        });
    }

    // Interpolation kernels run on [N, C, H, W]: fold frames (and batch) into N, compute in fp32, restore layout and dtype.
    private static Tensor PerFrame(Tensor latent, Func<Tensor, Tensor> op)
    {
        if (latent.dim() is not (4 or 5))
            throw new ArgumentException($"Expected a latent [C, F, H, W] or [B, C, F, H, W], got {latent.dim()} dimensions.", nameof(latent));
        using var scope = NewDisposeScope();
        bool batched = latent.dim() == 5;
        var x = batched ? latent : latent.unsqueeze(0);
        long b = x.shape[0], c = x.shape[1], f = x.shape[2];
        var frames = x.permute(0, 2, 1, 3, 4).reshape(b * f, c, x.shape[3], x.shape[4]).to(ScalarType.Float32);
        var y = op(frames);
        var result = y.reshape(b, f, c, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4).to(latent.dtype).contiguous();
        if (!batched) result = result.squeeze(0);
        return result.MoveToOuterDisposeScope();
    }
}
