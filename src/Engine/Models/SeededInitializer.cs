using TorchSharp;

namespace HiStream.Engine.Models;

/// <summary>
/// Fills a model with seeded random weights when no checkpoint is given (tests, demos, benchmarks), using the
/// reference fixtures' scheme: linear and conv weights N(0,1)/√fan_in, biases 0.05·N(0,1), 1-D norm weights
/// 1 + 0.1·N(0,1), modulation tables 0.15·N(0,1). These keep activations of order one, so every part of the model
/// matters. Draws happen on the CPU in state-dict order, so the weights do not depend on the device.
/// </summary>
public static class SeededInitializer
{
    public static void Initialize(torch.nn.Module module, long seed)
    {
        var generator = new torch.Generator((ulong)seed, torch.CPU);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            using var scope = torch.NewDisposeScope();
            var n = torch.randn(p.shape, torch.ScalarType.Float32, torch.CPU, generator: generator);
            if (name.EndsWith("modulation", StringComparison.Ordinal)) n.mul_(0.15);
            else if (p.dim() == 1 && name.EndsWith(".bias", StringComparison.Ordinal)) n.mul_(0.05);
            else if (p.dim() == 1) n.mul_(0.1).add_(1.0);
            else n.div_(Math.Sqrt(p.shape.Skip(1).Aggregate(1L, (a, x) => a * x)));
            p.copy_(n);
        }
    }
}
