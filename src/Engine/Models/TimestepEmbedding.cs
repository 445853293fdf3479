using TorchSharp;

namespace HiStream.Engine.Models;

/// <summary>Wan's sinusoidal timestep embedding: cos first, then sin, of t·10000^(−k/half), in float64.</summary>
public static class TimestepEmbedding
{
    /// <param name="timesteps">Any shape; flattened. Fractional values (937.5) are used as they are.</param>
    /// <returns>[N, width] float64 on the timesteps' device.</returns>
    public static torch.Tensor Sinusoid(torch.Tensor timesteps, int width)
    {
        if (width <= 0 || width % 2 != 0) throw new ArgumentException($"Sinusoid width must be positive and even, got {width}.", nameof(width));
        int half = width / 2;
        using var scope = torch.NewDisposeScope();
        var device = timesteps.device;
        // 10000^(−k/half) with the reference's operations, on the device (no host copy).
        var exponents = torch.arange(0, half, torch.ScalarType.Float64, device).div_(half).neg_();
        var w = torch.full(new long[] { half }, 10000.0, torch.ScalarType.Float64, device).pow_(exponents);
        var angles = torch.outer(timesteps.flatten().to(torch.ScalarType.Float64), w);
        return torch.cat(new[] { angles.cos(), angles.sin() }, 1).MoveToOuterDisposeScope();
    }
}
