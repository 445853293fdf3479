using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

internal static class TensorExactness
{
    /// <summary>Same dtype, same shape and the same bits in every element.</summary>
    public static bool SameBits(this torch.Tensor a, torch.Tensor b)
        => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.cpu().contiguous().bytes.SequenceEqual(b.cpu().contiguous().bytes);
}
