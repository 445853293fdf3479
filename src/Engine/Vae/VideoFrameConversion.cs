using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>Decoder output to displayable frames.</summary>
public static class VideoFrameConversion
{
    /// <summary>[B=1, 3, N, H, W] in [-1, 1] (values outside are clamped) → uint8 RGB [N, H, W, 3] on the CPU,
    /// as round(clamp(x·0.5 + 0.5, 0, 1)·255).</summary>
    public static torch.Tensor ToRgbBytes(torch.Tensor video)
    {
        if (video.dim() != 5 || video.shape[0] != 1 || video.shape[1] != 3)
            throw new ArgumentException($"Video must be [1, 3, N, H, W], got [{string.Join(",", video.shape)}].", nameof(video));
        using var scope = torch.NewDisposeScope();
        var x = video.to(torch.ScalarType.Float32).clamp(-1.0, 1.0).mul_(0.5).add_(0.5).clamp_(0.0, 1.0).mul_(255.0).round_();
        var bytes = x[0].permute(1, 2, 3, 0).to(torch.ScalarType.Byte).cpu().contiguous();
        return bytes.MoveToOuterDisposeScope();
    }
}
