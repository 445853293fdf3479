using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>ODE solver of the bidirectional baseline.</summary>
public enum FlowSolver
{
    /// <summary>First-order flow-matching Euler: x ← x + (σ_next − σ)·v.</summary>
    Euler,
    /// <summary>Second-order Adams-Bashforth multistep on the velocity (Euler on the first step); a simple stand-in for UniPC's multistep predictor.</summary>
    Multistep2,
}

/// <summary>
/// The Wan2.1 text-to-video baseline (model-spec §3, last bullet): all frames at once, <see cref="Steps"/> steps of a
/// flow-matching solver on Wan's shifted sigma schedule, classifier-free guidance against an empty (or given
/// negative) prompt. Wan itself uses UniPC; the cost per step (one batch-2 forward over every frame) is the same for
/// any solver, which is what the benchmark compares.
/// </summary>
public sealed record WanBidirectionalSettings
{
    public static WanBidirectionalSettings Default { get; } = new();

    public int Steps { get; init; } = 50;
    public double Shift { get; init; } = 5.0;
    public double GuidanceScale { get; init; } = 5.0;

    /// <summary>false = one conditional pass per step (no CFG).</summary>
    public bool ClassifierFreeGuidance { get; init; } = true;

    /// <summary>Negative prompt context [L, text_dim]; null = the empty prompt (all rows padding).</summary>
    public torch.Tensor? NegativeContext { get; init; }

    public FlowSolver Solver { get; init; } = FlowSolver.Euler;

    /// <summary>More steps than this is a mistake, not a setting (Wan uses 50; each step is a full pass over every frame).</summary>
    public const int MaxSteps = 1000;

    public void Validate()
    {
        if (Steps < 1 || Steps > MaxSteps) throw new ArgumentException($"WanBidirectionalSettings.Steps must be in 1..{MaxSteps} (got {Steps}).", nameof(Steps));
        if (!(Shift > 0) || double.IsInfinity(Shift)) throw new ArgumentException($"WanBidirectionalSettings.Shift must be positive (got {Shift}).", nameof(Shift));
        if (!double.IsFinite(GuidanceScale)) throw new ArgumentException($"WanBidirectionalSettings.GuidanceScale must be finite (got {GuidanceScale}).", nameof(GuidanceScale));
    }

    /// <summary>σ_0..σ_N: N points linear from 1 towards 0 (last dropped), shifted σ' = shift·s / (1 + (shift − 1)·s), then 0.</summary>
    public double[] Sigmas()
    {
        var sigmas = new double[Steps + 1];
        for (int i = 0; i < Steps; i++)
        {
            double s = 1.0 - i / (double)Steps;
            sigmas[i] = Shift * s / (1 + (Shift - 1) * s);
        }
        sigmas[Steps] = 0;
        return sigmas;
    }

    /// <summary>The request shape the sampler accepts: any number of latent frames, sides of whole 2x2 patches.</summary>
    public static void ValidateShape(int latentFrames, int latentHeight, int latentWidth)
    {
        if (latentFrames < 1)
            throw new ArgumentException($"SamplingRequest.LatentFrames must be at least 1 (got {latentFrames}).", "request");
        foreach (var (side, name) in new[] { (latentHeight, "LatentHeight"), (latentWidth, "LatentWidth") })
            if (side < 2 || side % 2 != 0)
                throw new ArgumentException($"SamplingRequest.{name} {side} ({side * 8} px): the resolution must be a positive multiple of 16 pixels.", "request");
    }
}
