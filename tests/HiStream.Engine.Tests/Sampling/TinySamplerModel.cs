using HiStream.Engine.Models;
using HiStream.Engine.Sampling;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>The fixtures' tiny Wan DiT with seeded-random weights, float32 on the CPU, behind the samplers' port.</summary>
internal sealed class TinySamplerModel : IDisposable
{
    public TinySamplerModel(long seed = 7)
    {
        Dit = new WanDiT(WanConfig.Tiny);
        SeededInitializer.Initialize(Dit, seed);
        Model = new WanChunkModel(Dit);
        Models = new SamplerModels(Model, Model);
        Context = torch.randn(new long[] { 5, WanConfig.Tiny.TextDim }, generator: new torch.Generator(11));
    }

    public WanDiT Dit { get; }
    public WanChunkModel Model { get; }
    public SamplerModels Models { get; }
    public torch.Tensor Context { get; }

    /// <summary>A request on an 8x8 latent (64x64 px): 16 high-res and 4 low-res tokens per frame.</summary>
    public SamplingRequest Request(int latentFrames, long seed = 3, int h = 8, int w = 8) => new(Context, seed, latentFrames, h, w);

    public static List<torch.Tensor> Latents(IEnumerable<GeneratedChunk> chunks) => chunks.Select(c => c.Latents).ToList();

    public void Dispose()
    {
        Model.Dispose();
        Dit.Dispose();
        Context.Dispose();
    }
}

/// <summary>Records every pass a sampler makes on the real model (delegating each call unchanged).</summary>
internal sealed class RecordingChunkModel(ICausalChunkModel inner) : ICausalChunkModel
{
    public sealed record Pass(double Timestep, int StartFrame, long[] Shape, IChunkKvCache Cache, int FramesAttended, RopeThetas Thetas);

    public List<Pass> Passes { get; } = new();
    public torch.Device Device => inner.Device;
    public torch.ScalarType DType => inner.DType;
    public int LatentChannels => inner.LatentChannels;
    public (int Time, int Height, int Width) RopePairs => inner.RopePairs;
    public double RopeTheta => inner.RopeTheta;
    public torch.Tensor ToX0(torch.Tensor x, torch.Tensor velocity, double timestep) => inner.ToX0(x, velocity, timestep);
    public torch.Tensor AddNoise(torch.Tensor x0, torch.Tensor noise, double timestep) => inner.AddNoise(x0, noise, timestep);
    public IDisposable CreateTextState(torch.Tensor textContext) => inner.CreateTextState(textContext);
    public IChunkKvCache CreateCache(int tokensPerFrame, int? windowFrames, int anchorFrames, int totalFrames) =>
        inner.CreateCache(tokensPerFrame, windowFrames, anchorFrames, totalFrames);

    public torch.Tensor Forward(torch.Tensor x, double timestep, int startFrame, IChunkKvCache cache, IDisposable textState, RopeThetas thetas)
    {
        var v = inner.Forward(x, timestep, startFrame, cache, textState, thetas);
        Passes.Add(new Pass(timestep, startFrame, x.shape, cache, cache.FramesHeld.Count, thetas));
        return v;
    }
}
