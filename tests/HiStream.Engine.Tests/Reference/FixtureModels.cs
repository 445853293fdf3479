using HiStream.Engine.Caching;
using HiStream.Engine.Checkpoints;
using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Tests.Reference;

/// <summary>Builds the model of a wan-dit / causal-wan fixture case with its weights bound strictly.</summary>
public static class FixtureModels
{
    public static WanConfig Config(ReferenceCase c) => WanConfig.FromJson(c.ModelConfig);

    public static KvWindow Window(ReferenceCase c) => KvWindow.FromJson(c.ModelConfig);

    public static WanDiT Load(ReferenceCase c, torch.ScalarType dtype = torch.ScalarType.Float32) => Load(c, c.WeightsPath, dtype);

    /// <summary>The case's model with weights from <paramref name="checkpoint"/> (safetensors or torch.save; strict).</summary>
    public static WanDiT Load(ReferenceCase c, string checkpoint, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        var model = new WanDiT(Config(c), torch.CPU, dtype);
        using var file = CheckpointLoader.Open(checkpoint);
        ModuleWeights.LoadStrict(model, file);
        return model;
    }

    public static string CaseNamed(string name) =>
        ReferenceCases.All().First(d => Path.GetFileName(d) == name);
}
