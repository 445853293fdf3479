using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Bench.Checkpoints;

/// <summary>Our reader as the engine uses it: the generator_ema state dict, "model." stripped.</summary>
internal static class OurReader
{
    public static Dictionary<string, torch.Tensor> Load(string path) => CheckpointLoader.LoadStateDict(path);
}
