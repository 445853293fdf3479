using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>Per-channel statistics of the Wan2.1 latent space; the DiT works on (z − mean)/std.</summary>
public sealed class LatentNormalization
{
    public LatentNormalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != std.Count) throw new ArgumentException($"Latent mean has {mean.Count} channels, std has {std.Count}.");
        if (std.Any(s => !(s > 0))) throw new ArgumentException("Latent std values must be positive.", nameof(std));
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }
    public int Channels => Mean.Count;

    /// <summary>Wan2.1's values ([W] WanVAE.__init__, identical in Self-Forcing).</summary>
    public static LatentNormalization Wan21 { get; } = new(
        [-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f, 0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f],
        [2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f, 3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f]);

    public static LatentNormalization FromTensors(torch.Tensor mean, torch.Tensor std) =>
        new(mean.to(torch.ScalarType.Float32).cpu().data<float>().ToArray(), std.to(torch.ScalarType.Float32).cpu().data<float>().ToArray());

    /// <summary>z [B, C, T, h, w] (float32) → z / (1/std) + mean. Divides by the float32 reciprocal as the reference does,
    /// so the result matches it bit for bit rather than z·std + mean.</summary>
    public torch.Tensor Denormalize(torch.Tensor z)
    {
        if (z.dim() != 5 || z.shape[1] != Channels)
            throw new ArgumentException($"Latent must be [B, {Channels}, T, h, w], got [{string.Join(",", z.shape)}].", nameof(z));
        using var scope = torch.NewDisposeScope();
        var shape = new long[] { 1, Channels, 1, 1, 1 };
        var mean = torch.tensor(Mean.ToArray(), dtype: torch.ScalarType.Float32, device: z.device).reshape(shape);
        var inv = (1.0f / torch.tensor(Std.ToArray(), dtype: torch.ScalarType.Float32, device: z.device)).reshape(shape);
        return (z.to(torch.ScalarType.Float32) / inv + mean).MoveToOuterDisposeScope();
    }
}
