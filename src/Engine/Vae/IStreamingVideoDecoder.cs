using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>Latents to pixels, chunk by chunk, keeping the causal feature cache between chunks.</summary>
public interface IStreamingVideoDecoder : IDisposable
{
    /// <summary>Decodes the next latent chunk [16, F, h, w]; returns RGB frames [N, H, W, 3] as bytes (0..255) on the CPU.
    /// The first latent frame of a video gives 1 pixel frame, every later one 4.</summary>
    torch.Tensor DecodeNext(torch.Tensor latents);
}
