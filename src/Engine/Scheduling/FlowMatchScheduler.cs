using TorchSharp;

namespace HiStream.Engine.Scheduling;

/// <summary>
/// Self-Forcing's flow-matching scheduler as its model wrapper sets it up (model-spec §3): shift 5, σ_min 0,
/// "extra one step", 1000 training steps, <c>set_timesteps(1000, training=True)</c>. Tables are float32:
/// σ_i = shift·s_i/(1 + (shift−1)·s_i) with s = linspace(1, 0, 1001)[:-1], timestep_i = 1000·σ_i.
/// σ for any t is the table entry whose timestep is nearest (ties: the first), so t = 0 gives σ ≈ 0.005.
/// The model predicts a velocity v under x_t = (1−σ)·x0 + σ·ε, so x0 = x_t − σ·v.
/// </summary>
public sealed class FlowMatchScheduler : IDisposable
{
    private readonly float[] _sigmas;
    private readonly float[] _timesteps;

    public FlowMatchScheduler(double shift = 5.0, int trainSteps = 1000)
    {
        if (!(shift > 0) || double.IsInfinity(shift)) throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be a positive number.");
        if (trainSteps < 2) throw new ArgumentOutOfRangeException(nameof(trainSteps), trainSteps, "Training steps must be at least 2.");
        Shift = shift;
        TrainSteps = trainSteps;
        using var scope = torch.NewDisposeScope();
        var s = torch.linspace(1.0, 0.0, trainSteps + 1, torch.ScalarType.Float32).narrow(0, 0, trainSteps);
        // Same float32 operations, in the same order, as the reference.
        var sigmas = s.mul(shift).div(s.mul(shift - 1).add(1.0));
        var timesteps = sigmas.mul((double)trainSteps);
        var y = timesteps.sub(trainSteps / 2.0).div((double)trainSteps).pow(2).mul(-2.0).exp();
        var yShifted = y.sub(y.min());
        var weights = yShifted.mul(torch.tensor((float)trainSteps).div(yShifted.sum()));
        Sigmas = sigmas.MoveToOuterDisposeScope();
        Timesteps = timesteps.MoveToOuterDisposeScope();
        LinearTimestepWeights = weights.MoveToOuterDisposeScope();
        _sigmas = Sigmas.data<float>().ToArray();
        _timesteps = Timesteps.data<float>().ToArray();
    }

    public double Shift { get; }
    public int TrainSteps { get; }

    /// <summary>σ table [TrainSteps], float32, CPU, from 1 down.</summary>
    public torch.Tensor Sigmas { get; }

    /// <summary>Timestep table [TrainSteps] = TrainSteps·σ, float32, CPU.</summary>
    public torch.Tensor Timesteps { get; }

    /// <summary>The training-time weighting of the reference (not used at inference; kept for parity).</summary>
    public torch.Tensor LinearTimestepWeights { get; }

    /// <summary>The warped step list: cat(timesteps, [0])[TrainSteps − step] for each step (e.g. [1000, 750, 500, 250]
    /// → [1000, 937.5, 833.33, 625] for shift 5).</summary>
    public float[] WarpSteps(IReadOnlyList<int> denoisingSteps)
    {
        var result = new float[denoisingSteps.Count];
        for (int i = 0; i < result.Length; i++)
        {
            int index = TrainSteps - denoisingSteps[i];
            if (index < 0 || index > TrainSteps)
                throw new ArgumentOutOfRangeException(nameof(denoisingSteps), denoisingSteps[i], $"Denoising steps must lie in [0, {TrainSteps}].");
            result[i] = index == TrainSteps ? 0f : _timesteps[index];
        }
        return result;
    }

    /// <summary>Index of the table entry nearest to t, comparing in float32 as add_noise does (ties: first).</summary>
    public int NearestIndex(float t)
    {
        int best = 0;
        float bestDiff = float.PositiveInfinity;
        for (int i = 0; i < _timesteps.Length; i++)
        {
            float d = Math.Abs(_timesteps[i] - t);
            if (d < bestDiff) { bestDiff = d; best = i; }
        }
        return best;
    }

    /// <summary>Index of the table entry nearest to t, comparing in float64 as the x0 conversion does (ties: first).</summary>
    public int NearestIndex(double t)
    {
        int best = 0;
        double bestDiff = double.PositiveInfinity;
        for (int i = 0; i < _timesteps.Length; i++)
        {
            double d = Math.Abs(_timesteps[i] - t);
            if (d < bestDiff) { bestDiff = d; best = i; }
        }
        return best;
    }

    /// <summary>σ used to add noise at timestep t (nearest entry, float32 comparison).</summary>
    public float NoiseSigma(float t) => _sigmas[NearestIndex(t)];

    /// <summary>σ used to convert a flow prediction at timestep t to x0 (nearest entry, float64 comparison).</summary>
    public float FlowSigma(float t) => _sigmas[NearestIndex((double)t)];

    /// <summary>(1−σ)·x0 + σ·noise in float32, returned in the noise's dtype; one σ for the whole tensor.</summary>
    public torch.Tensor AddNoise(torch.Tensor x0, torch.Tensor noise, float t)
    {
        float sigma = NoiseSigma(t);
        using var scope = torch.NewDisposeScope();
        var result = x0.to(torch.ScalarType.Float32).mul(1f - sigma).add_(noise.to(torch.ScalarType.Float32).mul(sigma));
        return result.to(noise.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>add_noise with one timestep per slice along <paramref name="dim"/> of x0 (t is 1-D with that length).</summary>
    public torch.Tensor AddNoise(torch.Tensor x0, torch.Tensor noise, torch.Tensor t, int dim)
    {
        using var scope = torch.NewDisposeScope();
        var sigma = PerSliceSigma(t, x0, dim, asDouble: false);
        var x = x0.to(torch.ScalarType.Float32);
        var result = x.mul(sigma.neg().add_(1.0)).add_(noise.to(torch.ScalarType.Float32).mul(sigma));
        return result.to(noise.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>x0 = x_t − σ·v computed in float64, returned in the flow prediction's dtype; one σ for the whole tensor.</summary>
    public torch.Tensor FlowToX0(torch.Tensor xt, torch.Tensor flow, float t)
    {
        double sigma = FlowSigma(t);
        using var scope = torch.NewDisposeScope();
        var x0 = xt.to(torch.ScalarType.Float64).sub_(flow.to(torch.ScalarType.Float64).mul(sigma));
        return x0.to(flow.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>x0 conversion with one timestep per slice along <paramref name="dim"/>.</summary>
    public torch.Tensor FlowToX0(torch.Tensor xt, torch.Tensor flow, torch.Tensor t, int dim)
    {
        using var scope = torch.NewDisposeScope();
        var sigma = PerSliceSigma(t, xt, dim, asDouble: true);
        var x0 = xt.to(torch.ScalarType.Float64).sub_(flow.to(torch.ScalarType.Float64).mul(sigma));
        return x0.to(flow.dtype).MoveToOuterDisposeScope();
    }

    private torch.Tensor PerSliceSigma(torch.Tensor t, torch.Tensor like, int dim, bool asDouble)
    {
        if (dim < 0) dim += (int)like.dim();
        if (t.dim() != 1 || dim < 0 || dim >= like.dim() || t.shape[0] != like.shape[dim])
            throw new ArgumentException($"Timesteps [{string.Join(", ", t.shape)}] must be 1-D with one entry per slice of dim {dim} of [{string.Join(", ", like.shape)}].");
        var ts = t.to(torch.ScalarType.Float32).cpu().data<float>().ToArray();
        var values = ts.Select(v => asDouble ? FlowSigma(v) : NoiseSigma(v)).ToArray();
        var shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[dim] = ts.Length;
        var sigma = torch.tensor(values, shape, torch.ScalarType.Float32);
        return sigma.to(asDouble ? torch.ScalarType.Float64 : torch.ScalarType.Float32).to(like.device);
    }

    public void Dispose()
    {
        Sigmas.Dispose();
        Timesteps.Dispose();
        LinearTimestepWeights.Dispose();
    }
}
