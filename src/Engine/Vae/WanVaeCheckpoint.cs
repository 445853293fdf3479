using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>Builds a decoder from a checkpoint file: <c>Wan2.1_VAE.pth</c> (torch.save zip) or a safetensors file.</summary>
public static class WanVaeCheckpoint
{
    /// <summary>
    /// Reads the decoder's tensors from <paramref name="path"/> (the format is recognised by content) and binds them via
    /// <see cref="WanVaeDecoderModel.LoadStateDict"/>. Encoder tensors are not read.
    /// </summary>
    public static WanVaeDecoderModel Load(string path, WanVaeConfig? config = null, torch.Device? device = null, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        var model = WanVaeDecoderModel.Create(config ?? WanVaeConfig.Wan21, device, dtype);
        try
        {
            LoadInto(model, path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint when a path is given, else seeded random weights (<see cref="WanVaeDecoderModel.HasRandomWeights"/>
    /// tells, so outputs can say so).</summary>
    public static WanVaeDecoderModel LoadOrRandom(string? path, WanVaeConfig config, long seed, torch.Device? device = null, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        if (!string.IsNullOrWhiteSpace(path)) return Load(path, config, device, dtype);
        var model = WanVaeDecoderModel.Create(config, device, dtype);
        model.InitializeRandom(seed);
        return model;
    }

    public static void LoadInto(WanVaeDecoderModel model, string path)
    {
        using var file = CheckpointLoader.Open(path, new CheckpointSelection(NormalizeKeys: false));
        var weights = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in file.Tensors)
                if (!WanVaeWeightBinding.IsEncoderKey(info.Name))
                    weights[info.Name] = file.Read(info.Name);
            model.LoadStateDict(weights, path);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }
}
