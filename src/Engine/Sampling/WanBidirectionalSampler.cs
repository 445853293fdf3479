using HiStream.Engine.Random;
using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// The non-causal baseline HiStream is compared against: the whole video denoised at once for
/// <see cref="WanBidirectionalSettings.Steps"/> steps with classifier-free guidance (the conditional and
/// unconditional passes run as one batch of 2). It yields one chunk holding every frame; it cannot resume from
/// finished chunks, because every frame depends on every other.
/// </summary>
public sealed class WanBidirectionalSampler : IVideoSampler
{
    private readonly IBidirectionalVideoModel _model;

    public WanBidirectionalSampler(IBidirectionalVideoModel model, WanBidirectionalSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Settings = settings ?? WanBidirectionalSettings.Default;
        Settings.Validate();
        _model = model;
    }

    public string Name => "wan-bidirectional";
    public WanBidirectionalSettings Settings { get; }

    public SamplerPlan Plan(SamplingRequest request)
    {
        Validate(request);
        int perStep = Settings.ClassifierFreeGuidance ? 2 : 1;
        var sigmas = Settings.Sigmas();
        var steps = Enumerable.Range(0, Settings.Steps)
            .Select(i => $"step {i}: t={1000 * sigmas[i]:0.###} over {request.LatentFrames} frames{(perStep == 2 ? " (cond+uncond)" : "")}").ToArray();
        return new SamplerPlan(1, new[] { Settings.Steps * perStep }, steps);
    }

    public IEnumerable<GeneratedChunk> Generate(SamplingRequest request, SamplerResumeState? resume = null, CancellationToken cancellationToken = default)
    {
        Validate(request);
        if (resume is { FinishedChunks.Count: > 0 })
            throw new NotSupportedException("wan-bidirectional denoises every frame together and cannot resume from finished chunks; start the video again.");
        return Run(request, cancellationToken);
    }

    private static void Validate(SamplingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        WanBidirectionalSettings.ValidateShape(request.LatentFrames, request.LatentHeight, request.LatentWidth);
    }

    private IEnumerable<GeneratedChunk> Run(SamplingRequest request, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sigmas = Settings.Sigmas();
        bool cfg = Settings.ClassifierFreeGuidance;
        var negative = Settings.NegativeContext ?? torch.zeros(0, _model.TextDim);
        var contexts = cfg ? new[] { request.TextContext, negative } : new[] { request.TextContext };
        long[] shape = { 1, _model.LatentChannels, request.LatentFrames, request.LatentHeight, request.LatentWidth };

        torch.Tensor x;
        using (var cpu = new NoiseSource().Draw(new NoiseKey(request.Seed, 0, 0, NoisePurpose.InitialLatent), shape))
            x = cpu.to(_model.DType, _model.Device, copy: true);
        torch.Tensor? previousVelocity = null;
        for (int i = 0; i < Settings.Steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var input = cfg ? torch.cat(new[] { x, x }, 0) : x;
            var v = _model.Forward(input, 1000 * sigmas[i], contexts);
            if (cfg)
            {
                var (cond, uncond) = (v[0..1], v[1..2]);
                v = uncond + (cond - uncond) * Settings.GuidanceScale;
            }
            v = v.to(torch.ScalarType.Float32);
            double dt = sigmas[i + 1] - sigmas[i];
            var update = Settings.Solver == FlowSolver.Multistep2 && previousVelocity is not null
                ? Multistep(v, previousVelocity, dt, sigmas[i] - sigmas[i - 1])
                : v * dt;
            var next = (x.to(torch.ScalarType.Float32) + update).to(_model.DType).MoveToOuterDisposeScope();
            x.Dispose();
            x = next;
            previousVelocity?.Dispose();
            previousVelocity = v.MoveToOuterDisposeScope();
        }
        previousVelocity?.Dispose();
        if (_model.Device.type == DeviceType.CUDA) torch.cuda.synchronize(_model.Device);
        var latents = x.squeeze(0).to(torch.ScalarType.Float32, torch.CPU).contiguous();
        x.Dispose();
        int passes = Settings.Steps * (cfg ? 2 : 1);
        yield return new GeneratedChunk(0, 0, latents, new ChunkTiming(clock.Elapsed, TimeSpan.Zero, passes));
    }

    // Variable-step second-order Adams-Bashforth on the velocity: x += dt·(v + dt/(2·dtPrev)·(v − vPrev)).
    private static torch.Tensor Multistep(torch.Tensor v, torch.Tensor previous, double dt, double dtPrevious) =>
        (v + (v - previous) * (dt / (2 * dtPrevious))) * dt;
}
