using TorchSharp;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// Registers children under given names ("0", "2", ...) so parameter keys match a PyTorch nn.Sequential whose
/// parameter-free members (SiLU, Dropout, Upsample) are not materialised.
/// </summary>
internal sealed class IndexedModules : torch.nn.Module
{
    public IndexedModules(params (string Name, torch.nn.Module Module)[] children) : base(nameof(IndexedModules))
    {
        foreach (var (name, module) in children) register_module(name, module);
    }
}
