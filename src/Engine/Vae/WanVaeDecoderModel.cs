using HiStream.Engine.Numerics;
using HiStream.Engine.Vae.Layers;
using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// The decoding half of Wan2.1's <c>WanVAE_</c>: <c>conv2</c> (1×1×1 on the de-normalised latent) and <c>decoder.*</c>,
/// with the reference's parameter names, so <c>Wan2.1_VAE.pth</c> state dicts bind as they are. Decoding itself runs
/// through <see cref="StreamingWanVaeDecoder"/>.
/// </summary>
public sealed class WanVaeDecoderModel : torch.nn.Module
{
    private readonly CausalConv3d _conv2;
    private readonly WanVaeDecoder3d _decoder;

    private WanVaeDecoderModel(WanVaeConfig config, torch.Device device, torch.ScalarType dtype) : base("WanVAE_")
    {
        if (dtype is not (torch.ScalarType.Float32 or torch.ScalarType.BFloat16 or torch.ScalarType.Float16 or torch.ScalarType.Float64))
            throw new ArgumentException($"The VAE needs a floating-point dtype, got {dtype}.", nameof(dtype));
        Config = config;
        Device = device;
        DType = dtype;
        _conv2 = new CausalConv3d(config.ZDim, config.ZDim, 1, 1, dtype, device);
        _decoder = new WanVaeDecoder3d(config, dtype, device);
        register_module("conv2", _conv2);
        register_module("decoder", _decoder);
        ParameterNames = named_parameters().Select(p => p.name).ToArray();
        WeightsSource = "uninitialised";
    }

    public WanVaeConfig Config { get; }
    public torch.Device Device { get; }
    public torch.ScalarType DType { get; }

    /// <summary>Where the weights came from ("random (seed N)", a checkpoint path, ...), for logs and output metadata.</summary>
    public string WeightsSource { get; private set; }

    public bool HasRandomWeights => WeightsSource.StartsWith("random", StringComparison.Ordinal);

    /// <summary>Every parameter key this model binds, in registration order.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    internal CausalConv3d Conv2 => _conv2;
    internal WanVaeDecoder3d Decoder => _decoder;

    /// <summary>Builds the module with uninitialised parameters; bind weights with <see cref="LoadStateDict"/> or
    /// <see cref="InitializeRandom"/> before decoding.</summary>
    public static WanVaeDecoderModel Create(WanVaeConfig config, torch.Device? device = null, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        using var noGrad = torch.no_grad();
        var model = new WanVaeDecoderModel(config, device ?? torch.CPU, dtype);
        try
        {
            model.UseConvolutionKernels(Numerics.ConvolutionCheck.Run(model.ConvolutionShapes(), dtype, model.Device));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>What the load-time convolution check probed on this machine and which kernels it chose (one line for the log).</summary>
    public ConvolutionCheckReport ConvolutionCheck { get; private set; } = null!;

    /// <summary>Every 2D convolution shape the decoder runs (causal convs per number of real-frame taps).</summary>
    public IEnumerable<ConvolutionShape> ConvolutionShapes() =>
        modules().OfType<CausalConv3d>().SelectMany(c => c.Shapes)
            .Concat(modules().OfType<Conv2dLayer>().Select(c => c.Shape))
            .Distinct();

    /// <summary>Routes every convolution layer to the kernels of <paramref name="report"/>.</summary>
    internal void UseConvolutionKernels(ConvolutionCheckReport report)
    {
        UseConvolutionKernels(report.Kernels);
        ConvolutionCheck = report;
    }

    /// <summary>Overrides the checked choice, for benchmarks and diagnostics only:
    /// <see cref="ConvolutionKernels.LibTorchUnpadded"/> decodes wrong pixels on many CPUs.</summary>
    public void UseConvolutionKernels(ConvolutionKernels kernels)
    {
        foreach (var conv in modules().OfType<CausalConv3d>()) conv.Kernels = kernels;
        foreach (var conv in modules().OfType<Conv2dLayer>()) conv.Kernels = kernels;
    }

    public long ParameterCount(string prefix = "") =>
        named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).Sum(p => p.parameter.numel());

    /// <summary>
    /// Binds a full <c>WanVAE_</c> state dict (as in <c>Wan2.1_VAE.pth</c>) or a decoder-only one. Encoder keys
    /// (<c>encoder.*</c>, top-level <c>conv1.*</c>) are accepted and ignored; any other unknown key, a missing decoder key
    /// or a shape mismatch is an error that names the keys. Values are converted to this model's dtype and device.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, torch.Tensor> stateDict, string source = "state dict")
    {
        var problems = WanVaeWeightBinding.Check(this, stateDict);
        if (problems is not null) throw new InvalidDataException($"VAE weights from {source} do not fit {Config}: {problems}");
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in named_parameters())
            parameter.copy_(stateDict[name]);
        WeightsSource = source;
    }

    /// <summary>
    /// Seeded random weights with the reference fixtures' scales (conv weights N(0,1)/√fan_in, biases 0.05·N(0,1),
    /// gamma 1 + 0.1·N(0,1)), so activations stay of order one through the whole decoder.
    /// </summary>
    public void InitializeRandom(long seed)
    {
        using var noGrad = torch.no_grad();
        var generator = new torch.Generator((ulong)seed);
        foreach (var (name, parameter) in named_parameters())
        {
            using var r = torch.randn(parameter.shape, generator: generator, dtype: torch.ScalarType.Float32);
            if (name.EndsWith(".gamma", StringComparison.Ordinal)) r.mul_(0.1).add_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) r.mul_(0.05);
            else r.div_(Math.Sqrt(parameter.shape.Skip(1).Aggregate(1L, (a, b) => a * b)));
            parameter.copy_(r);
        }
        WeightsSource = $"random (seed {seed})";
    }
}
