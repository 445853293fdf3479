using HiStream.Engine.Random;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>Serves a causal-wan fixture's stored noise draws to the sampler: each chunk's initial latent and the
/// noise of every add_noise call.</summary>
internal sealed class FixtureNoise : INoiseSource
{
    private readonly Dictionary<(int Chunk, int Step, NoisePurpose Purpose), torch.Tensor> _draws = new();

    public FixtureNoise(ReferenceCase c)
    {
        foreach (var call in c.Calls)
        {
            if (call.Method == "forward" && call.Args.GetProperty("role").GetString() == "denoise" && call.Args.GetProperty("step").GetInt32() == 0)
                _draws[(call.Args.GetProperty("chunk").GetInt32(), 0, NoisePurpose.InitialLatent)] = c.Tensor(call, "x");
            else if (call.Method == "scheduler.add_noise")
                _draws[(call.Args.GetProperty("chunk").GetInt32(), call.Args.GetProperty("after_step").GetInt32() + 1, NoisePurpose.Renoise)] = c.Tensor(call, "noise");
        }
    }

    public int Count => _draws.Count;

    public torch.Tensor Draw(NoiseKey key, long[] shape)
    {
        if (!_draws.TryGetValue((key.Chunk, key.Step, key.Purpose), out var t))
            throw new KeyNotFoundException($"The fixture has no noise for {key}.");
        return t.clone();
    }
}
