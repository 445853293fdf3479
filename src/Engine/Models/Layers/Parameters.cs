using TorchSharp;
using TorchSharp.Modules;

namespace HiStream.Engine.Models.Layers;

/// <summary>Creates uninitialised, frozen parameters (weights are bound from a checkpoint or a seeded initialiser).</summary>
internal static class Parameters
{
    public static Parameter Empty(long[] shape, torch.Device device, torch.ScalarType dtype) =>
        new(torch.empty(shape, dtype, device), requires_grad: false);

    public static Linear Linear(long inFeatures, long outFeatures, torch.Device device, torch.ScalarType dtype) =>
        torch.nn.Linear(Empty(new[] { outFeatures, inFeatures }, device, dtype), Empty(new[] { outFeatures }, device, dtype));
}
