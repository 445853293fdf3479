using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>The non-causal forward of the same DiT: every frame attends to every frame, no cache.</summary>
public interface IBidirectionalVideoModel
{
    torch.Device Device { get; }
    torch.ScalarType DType { get; }
    int LatentChannels { get; }
    int TextDim { get; }

    /// <summary>
    /// x [B, C, F, H, W] at one timestep for the whole batch; <paramref name="contexts"/> holds one text context
    /// [L_b, text_dim] per batch entry. Returns the velocity prediction, same shape and dtype as x.
    /// </summary>
    torch.Tensor Forward(torch.Tensor x, double timestep, IReadOnlyList<torch.Tensor> contexts);
}
