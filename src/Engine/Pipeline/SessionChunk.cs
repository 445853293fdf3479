using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Pipeline;

/// <param name="Latents">Final latents [C, F, h, w], float32 on the CPU; owned by the caller.</param>
/// <param name="Frames">Decoded RGB frames [N, H, W, 3] (uint8, CPU) when the pipeline has a decoder; owned by the caller.</param>
public sealed record SessionChunk(int Index, int FirstLatentFrame, torch.Tensor Latents, torch.Tensor? Frames, ChunkTiming Timing, TimeSpan Decode) : IDisposable
{
    public void Dispose()
    {
        Latents.Dispose();
        Frames?.Dispose();
    }
}
