using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// Gaussian noise addressed by (seed, chunk, draw) instead of drawn from one running stream, so that a chunk's noise
/// does not depend on how many draws came before it: a resumed run, a run that skips a chunk's low-res stage, or a run
/// at another resolution draws the same numbers for the same chunk and step. Draw 0 is the chunk's initial noise,
/// draw i the re-noise before step i.
/// </summary>
public sealed class ChunkNoise : IChunkNoise
{
    public static ChunkNoise Instance { get; } = new();

    public torch.Tensor Draw(long seed, int chunk, int draw, long[] shape, torch.ScalarType dtype, torch.Device device) =>
        DrawKeyed(seed, chunk, draw, shape, dtype, device);

    public static torch.Tensor DrawKeyed(long seed, int chunk, int draw, long[] shape, torch.ScalarType dtype, torch.Device device)
    {
        using var generator = new torch.Generator(unchecked((ulong)Key(seed, chunk, draw)), torch.CPU);
        using var cpu = torch.randn(shape, dtype: torch.ScalarType.Float32, generator: generator);
        return cpu.to(dtype, device);
    }

    /// <summary>SplitMix64 over the three coordinates: neighbouring keys give unrelated generator seeds.</summary>
    internal static long Key(long seed, int chunk, int draw)
    {
        ulong z = unchecked((ulong)seed);
        z = Mix(z + 0x9E3779B97F4A7C15UL * (ulong)(uint)chunk + 1);
        z = Mix(z + 0xBF58476D1CE4E5B9UL * (ulong)(uint)draw + 2);
        return unchecked((long)(z & 0x7FFF_FFFF_FFFF_FFFFUL));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Source of a chunk sampler's Gaussian draws (replaceable, e.g. to replay the noise a reference run stored).</summary>
public interface IChunkNoise
{
    /// <param name="draw">0 = the chunk's initial noise, i = the re-noise before the chunk's step i.</param>
    torch.Tensor Draw(long seed, int chunk, int draw, long[] shape, torch.ScalarType dtype, torch.Device device);
}
