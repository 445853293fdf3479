using System.Diagnostics;
using System.Globalization;
using HiStream.Bench.Vae;
using HiStream.Engine;
using HiStream.Engine.Numerics;
using HiStream.Engine.Vae;
using TorchSharp;

// Peak memory and time of the real-size Wan2.1 VAE decoder (seeded random weights) for one video, chunk by chunk.
// Usage: dotnet run -c Release --project bench/HiStream.Bench.Vae -- [--width 832] [--height 480] [--latent-frames 2]
//        [--dtype float32|bfloat16] [--frames-per-slice 1] [--band-rows 0] [--device cpu] [--preset wan2.1|tiny]
//        [--compare-conv-kernels]  (decode time with each convolution path, same run, instead of the memory table)
var opts = BenchArgs.Parse(args);
var device = TorchRuntime.ParseDevice(opts.Device);
var dtype = TorchRuntime.ParseDType(opts.DType);
var config = WanVaeConfig.Preset(opts.Preset);
if (opts.Width % config.SpatialScale != 0 || opts.Height % config.SpatialScale != 0)
    throw new ArgumentException($"Width and height must be multiples of {config.SpatialScale}.");
long h = opts.Height / config.SpatialScale, w = opts.Width / config.SpatialScale;

long baseline = ProcessMemory.CurrentRss();
using var model = WanVaeDecoderModel.Create(config, device, dtype);
model.InitializeRandom(1234);
long withWeights = ProcessMemory.CurrentRss();
Console.WriteLine($"VAE {config.BaseDim}-dim decoder, {model.ParameterCount():N0} params ({model.WeightsSource}), {dtype} on {device}, torch threads {torch.get_num_threads()}");
Console.WriteLine($"output {opts.Width}x{opts.Height}, latent {w}x{h}, {opts.LatentFrames} latent frames; frames-per-slice {opts.FramesPerSlice}, band-rows {opts.BandRows}");
Console.WriteLine(model.ConvolutionCheck.Summary);
if (opts.CompareConvKernels)
{
    using var z = torch.randn([16L, opts.LatentFrames, h, w], generator: new torch.Generator(99));
    torch.Tensor? first = null;
    Console.WriteLine("convolution kernels | decode seconds (all latent frames) | max |diff| vs the first row");
    // Unpadded first and last, so drift in machine load between rows shows.
    foreach (var kernels in new[] { ConvolutionKernels.LibTorchUnpadded, ConvolutionKernels.LibTorchPaddedChannels, ConvolutionKernels.MatrixMultiply, ConvolutionKernels.LibTorchUnpadded, ConvolutionKernels.LibTorchPaddedChannels })
    {
        model.UseConvolutionKernels(kernels);
        var timer = Stopwatch.StartNew();
        var video = StreamingWanVaeDecoder.DecodeAll(model, z, new VaeDecodeOptions { FramesPerSlice = opts.FramesPerSlice, BandRows = opts.BandRows });
        timer.Stop();
        first ??= video;
        Console.WriteLine($"{kernels,-22} | {timer.Elapsed.TotalSeconds,8:F2} | {(video - first).abs().max().item<float>():G3}");
    }
    return;
}
Console.WriteLine($"RSS: process start {Mib(baseline)}, with weights {Mib(withWeights)}");
Console.WriteLine($"feature cache from the third latent frame on (estimate, whole frames): {Mib(WanVaeMemoryEstimate.FeatureCacheBytes(config, h, w, dtype))}");

var options = new VaeDecodeOptions { FramesPerSlice = opts.FramesPerSlice, BandRows = opts.BandRows };
using var decoder = new StreamingWanVaeDecoder(model, options);
using var latents = torch.randn([16L, opts.LatentFrames, h, w], generator: new torch.Generator(99));
Console.WriteLine("latent frame | pixel frames | seconds | peak RSS during frame | RSS after | feature cache");
for (int f = 0; f < opts.LatentFrames; f++)
{
    ProcessMemory.ResetPeak();
    var sw = Stopwatch.StartNew();
    using var chunk = latents.narrow(1, f, 1);
    using var frames = decoder.DecodeNext(chunk);
    sw.Stop();
    Console.WriteLine($"{f,12} | {frames.shape[0],12} | {sw.Elapsed.TotalSeconds,7:F1} | {Mib(ProcessMemory.PeakRss()),21} | {Mib(ProcessMemory.CurrentRss()),9} | {Mib(decoder.CacheBytes),13}");
}

static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture) + " MiB";
