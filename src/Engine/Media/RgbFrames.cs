using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Media;

/// <summary>Checks and reads uint8 RGB frame tensors [N, H, W, 3] (or one frame [H, W, 3]).</summary>
internal static class RgbFrames
{
    public static torch.Tensor AsBatch(torch.Tensor frames, string paramName)
    {
        ArgumentNullException.ThrowIfNull(frames, paramName);
        if (frames.dtype != torch.ScalarType.Byte)
            throw new ArgumentException($"Frames must be uint8 RGB, got {frames.dtype}.", paramName);
        bool ok = frames.dim() == 4 && frames.shape[3] == 3 || frames.dim() == 3 && frames.shape[2] == 3;
        if (!ok) throw new ArgumentException($"Frames must be [N, H, W, 3] or [H, W, 3], got [{string.Join(",", frames.shape)}].", paramName);
        var batch = frames.dim() == 3 ? frames.unsqueeze(0) : frames.alias();
        if (batch.shape[1] == 0 || batch.shape[2] == 0)
        {
            batch.Dispose();
            throw new ArgumentException($"Frames [{string.Join(",", frames.shape)}] are empty.", paramName);
        }
        using (batch)
            return batch.cpu().contiguous();
    }

    /// <summary>Writes the tensor's bytes (contiguous CPU uint8) to a stream in blocks, without a managed copy of the whole.</summary>
    public static unsafe void WriteTo(torch.Tensor contiguousBytes, Stream stream)
    {
        long len = contiguousBytes.numel();
        if (len == 0) return;
        byte* p = (byte*)TensorMemory.DataPointer(contiguousBytes);
        const int block = 1 << 22;
        for (long done = 0; done < len; done += block)
            stream.Write(new ReadOnlySpan<byte>(p + done, (int)Math.Min(block, len - done)));
    }
}
