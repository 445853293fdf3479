using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Models;

/// <summary>Creates a ready-to-run Wan DiT: weights from a checkpoint, or seeded random weights when none is given.</summary>
public static class WanDiTFactory
{
    /// <param name="checkpoint">A Wan2.1 DiT or Self-Forcing checkpoint (.safetensors, .pt, .pth; Self-Forcing's
    /// <c>generator_ema</c> is picked and the <c>model.</c> prefix stripped), or null for seeded random weights.</param>
    /// <param name="device">Torch device name ("cpu", "cuda", "cuda:1").</param>
    /// <param name="dtype">"float32" or "bfloat16" ("float16" only on CUDA).</param>
    /// <param name="randomSeed">Seed of the random weights when <paramref name="checkpoint"/> is null.</param>
    public static WanDiT Create(WanConfig config, string? checkpoint, string device = "cpu", string dtype = "float32", long randomSeed = 0, RopeSettings? rope = null)
    {
        var dev = TorchRuntime.ParseDevice(device);
        var type = TorchRuntime.ParseDType(dtype);
        if (type == torch.ScalarType.Float16 && dev.type != DeviceType.CUDA)
            throw new ArgumentException("float16 has no CPU kernels in this TorchSharp build (about 1000x slower); use float32 or bfloat16 on the CPU.", nameof(dtype));
        if (checkpoint != null && !File.Exists(checkpoint))
            throw new FileNotFoundException($"DiT checkpoint '{checkpoint}' does not exist.", checkpoint);
        var model = new WanDiT(config, dev, type, rope);
        try
        {
            if (checkpoint == null)
            {
                SeededInitializer.Initialize(model, randomSeed);
                model.WeightsSource = $"seeded random weights (seed {randomSeed}); not a trained model, the output is noise-like";
            }
            else
            {
                using var file = CheckpointLoader.Open(checkpoint);
                ModuleWeights.LoadStrict(model, file);
                model.WeightsSource = file.SubDictionary is null ? checkpoint : $"{checkpoint} ({file.SubDictionary})";
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
