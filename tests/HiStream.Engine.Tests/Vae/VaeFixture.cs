using HiStream.Engine.Checkpoints;
using HiStream.Engine.Tests.Reference;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

/// <summary>Builds the decoder of a <c>wan-vae-decoder</c> reference case from its config and weights.</summary>
internal static class VaeFixture
{
    public static WanVaeDecoderModel LoadModel(ReferenceCase c)
    {
        var model = WanVaeDecoderModel.Create(WanVaeConfig.FromJson(c.ModelConfig));
        var weights = SafeTensorsFile.Load(c.WeightsPath);
        try
        {
            model.LoadStateDict(weights, c.WeightsPath);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        return model;
    }

    public static LatentNormalization Normalization(ReferenceCase c, ReferenceCall call) =>
        LatentNormalization.FromTensors(c.Tensor(call, "mean"), c.Tensor(call, "std"));

    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Same(torch.Tensor a, torch.Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }

    public static ReferenceCase TinyCase() =>
        new(ReferenceCases.All().First(d => d.EndsWith("wan-vae-decoder-tiny", StringComparison.Ordinal)));
}
