using HiStream.Engine.Text;
using HiStream.Engine.Vae;

namespace HiStream.Engine.Pipeline;

/// <summary>One reason a video can never render: the request field it comes from (<c>frames</c>, <c>size</c>,
/// <c>sampler</c>, <c>samplerOptions</c>) and what is wrong.</summary>
public sealed record AdmissionProblem(string Field, string Message);

/// <summary>Decides before anything is queued whether a video can ever render on the farm: the frame count the VAE
/// and the sampler's chunks accept, the sampler's options and size multiples (the same checks the sampler runs when
/// it opens, see <see cref="SamplerRegistry.ValidateShape"/>), and its device memory with its own options
/// (<see cref="RenderMemoryEstimator"/>) against the largest silo, after that silo holds the DiT, the text encoder
/// and the VAE.</summary>
public sealed class RenderAdmission
{
    /// <summary>Parameters of the Wan2.1 VAE checkpoint (Wan2.1_VAE.pth, 508 MB in fp32); counted whole although
    /// silos load only the decoder, so the estimate errs on the safe side.</summary>
    public const long Wan21VaeParameters = 126_900_000;

    /// <summary>21 latent frames = 81 frames, the default video length.</summary>
    private const int ReferenceLatentFrames = 21;

    private readonly RenderMemoryEstimator _estimator;

    /// <param name="largestDeviceBytes">Device memory of the largest silo the farm is configured for.</param>
    /// <param name="reserveFraction">The share a silo keeps free (<c>Farm:ReserveFraction</c>).</param>
    public RenderAdmission(ModelDimensions model, long weightBytes, long largestDeviceBytes, double reserveFraction)
    {
        _estimator = new RenderMemoryEstimator(model);
        WeightBytes = weightBytes;
        VideoCapacityBytes = Math.Max(0, (long)((largestDeviceBytes - weightBytes) * (1 - reserveFraction)));
    }

    /// <summary>DiT + text encoder + VAE, resident on every silo.</summary>
    public long WeightBytes { get; }

    /// <summary>Memory one video may use on the largest silo when it renders alone.</summary>
    public long VideoCapacityBytes { get; }

    /// <summary>Admission for the model the pipeline options describe (the tiny random model without checkpoints).</summary>
    public static RenderAdmission For(PipelineOptions options, long largestDeviceBytes, double reserveFraction)
    {
        var dit = PipelineFactory.DimensionsOf(options);
        return new RenderAdmission(dit, WeightBytesOf(options, dit), largestDeviceBytes, reserveFraction);
    }

    /// <summary>Bytes of the weights a silo keeps on its device: the DiT, umT5-XXL (the tiny demo encoder without
    /// checkpoints) and the VAE.</summary>
    public static long WeightBytesOf(PipelineOptions options, ModelDimensions dit)
    {
        var text = options.RandomWeights ? UmT5Config.Tiny : UmT5Config.Xxl;
        var vae = options.RandomWeights ? WanVaeConfig.Tiny : WanVaeConfig.Wan21;
        double vaeScale = (double)vae.BaseDim / WanVaeConfig.Wan21.BaseDim;
        long vaeParameters = (long)(Wan21VaeParameters * vaeScale * vaeScale); // conv weights scale with the square of the width
        return dit.ParameterCount * dit.ElementBytes + text.ParameterCount * dit.ElementBytes + (options.Decode ? vaeParameters * dit.ElementBytes : 0);
    }

    /// <summary>The device memory the video needs with its own options (null when its options are invalid).</summary>
    public long? EstimateBytes(int width, int height, int frames, string sampler, IReadOnlyDictionary<string, string> options)
    {
        try
        {
            return _estimator.EstimateVideoBytes(width, height, LatentFrames(frames), SamplerRegistry.ChunkSettings(sampler, options));
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Everything that stops the video from ever rendering; empty when it can.</summary>
    public IReadOnlyList<AdmissionProblem> Check(int width, int height, int frames, string sampler, IReadOnlyDictionary<string, string> options)
    {
        var problems = new List<AdmissionProblem>();
        if (frames < 1 || (frames - 1) % VideoRequest.VaeTemporalStride != 0)
        {
            problems.Add(new("frames", $"is {frames}; it must be 1 + 4·k (the VAE turns n latent frames into 1 + 4·(n − 1) frames), e.g. {Math.Max(1, 1 + (frames - 1) / 4 * 4)} or {1 + (Math.Max(0, frames - 1) / 4 + 1) * 4}."));
            return problems;
        }
        if (!SamplerRegistry.IsKnown(sampler))
        {
            problems.Add(new("sampler", $"'{sampler}' is not a known sampler ({string.Join(", ", SamplerRegistry.Names)})."));
            return problems;
        }
        try
        {
            SamplerRegistry.Validate(sampler, options);
        }
        catch (ArgumentException ex)
        {
            problems.Add(new("samplerOptions", ex.Message));
            return problems;
        }

        int latentFrames = LatentFrames(frames);
        var chunked = SamplerRegistry.ChunkSettings(sampler, options);
        if (chunked is not null && latentFrames % chunked.FramesPerChunk != 0)
        {
            int perChunk = chunked.FramesPerChunk * VideoRequest.VaeTemporalStride;
            int below = 1 + ((latentFrames / chunked.FramesPerChunk) * chunked.FramesPerChunk - 1) * VideoRequest.VaeTemporalStride;
            int above = below + perChunk;
            problems.Add(new("frames", $"is {frames}, {latentFrames} latent frames; {sampler} renders chunks of {chunked.FramesPerChunk} latent frames, so the latent frames must be a multiple of {chunked.FramesPerChunk}" +
                (below >= 1 && latentFrames >= chunked.FramesPerChunk ? $", e.g. frames {below} or {above}." : $", e.g. frames {above}.")));
        }
        try
        {
            SamplerRegistry.ValidateShape(sampler, options, chunked is null ? latentFrames : chunked.FramesPerChunk, height / VideoRequest.VaeSpatialStride, width / VideoRequest.VaeSpatialStride);
        }
        catch (ArgumentException ex)
        {
            problems.Add(new("size", $"{width}x{height}: {ex.Message}"));
        }
        if (problems.Count > 0) return problems;

        long need;
        try
        {
            need = _estimator.EstimateVideoBytes(width, height, latentFrames, chunked);
        }
        catch (OverflowException)
        {
            problems.Add(new("size", $"{width}x{height}, {frames} frames with {sampler}: its device memory estimate overflows a 64-bit byte count. Render it smaller or shorter."));
            return problems;
        }
        if (need > VideoCapacityBytes)
        {
            // Blame the size when even a default-length video (81 frames) of that size would not fit, else the length.
            int shorter = Math.Min(latentFrames, ReferenceLatentFrames);
            if (chunked is not null) shorter = Math.Max(chunked.FramesPerChunk, shorter / chunked.FramesPerChunk * chunked.FramesPerChunk);
            bool sizeAloneTooLarge = _estimator.EstimateVideoBytes(width, height, shorter, chunked) > VideoCapacityBytes;
            problems.Add(new(sizeAloneTooLarge ? "size" : "frames",
                $"{width}x{height}, {frames} frames with {sampler} needs about {GiB(need)} of device memory; the largest silo has {GiB(VideoCapacityBytes)} for one video " +
                $"(after {GiB(WeightBytes)} of weights and its reserve). Render it smaller or shorter."));
        }
        return problems;
    }

    private static int LatentFrames(int frames) => 1 + (frames - 1) / VideoRequest.VaeTemporalStride;

    private static string GiB(long bytes) => $"{bytes / (double)(1L << 30):F1} GiB";
}
