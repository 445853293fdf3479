using TorchSharp;

namespace HiStream.Engine.Random;

/// <summary>What a noise draw is for; part of the key, so draws for different purposes never coincide.</summary>
public enum NoisePurpose
{
    /// <summary>The chunk's starting latent (pure noise at the first timestep).</summary>
    InitialLatent = 1,
    /// <summary>Fresh noise to re-noise x0 before denoising step <see cref="NoiseKey.Step"/>.</summary>
    Renoise = 2,
    /// <summary>Noise of a noisy cache refresh (context noise &gt; 0).</summary>
    ContextNoise = 3,
}

/// <summary>Identifies one noise draw of one video.</summary>
public readonly record struct NoiseKey(long Seed, int Chunk, int Step, NoisePurpose Purpose);

/// <summary>Supplies the Gaussian noise of a generation; the sampler asks for every draw by key.</summary>
public interface INoiseSource
{
    /// <returns>A standard normal float32 tensor of <paramref name="shape"/> on the CPU; the caller owns it.</returns>
    torch.Tensor Draw(NoiseKey key, long[] shape);
}

/// <summary>
/// Reproducible noise: each draw comes from its own CPU generator seeded with a stable 64-bit hash of
/// (seed, chunk, step, purpose), so the noise does not depend on the device, on the order of draws or on what ran
/// before. A video resumed at chunk k therefore gets exactly the noise the uninterrupted run used.
/// </summary>
public sealed class NoiseSource : INoiseSource
{
    public torch.Tensor Draw(NoiseKey key, long[] shape)
    {
        var generator = new torch.Generator(StableHash(key), torch.CPU);
        return torch.randn(shape, torch.ScalarType.Float32, torch.CPU, generator: generator);
    }

    /// <summary>SplitMix64-style mixing of the key's fields; fixed forever (changing it changes every video).</summary>
    public static ulong StableHash(NoiseKey key)
    {
        ulong h = 0x48695374_7265616DUL; // "HiStream"
        h = Mix(h ^ (ulong)key.Seed);
        h = Mix(h ^ (uint)key.Chunk);
        h = Mix(h ^ (uint)key.Step);
        h = Mix(h ^ (uint)key.Purpose);
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
