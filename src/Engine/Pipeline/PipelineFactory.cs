using System.Security.Cryptography;
using System.Text;
using HiStream.Engine.Checkpoints;
using HiStream.Engine.Models;
using HiStream.Engine.Sampling;
using HiStream.Engine.Text;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Pipeline;

/// <summary>Builds a <see cref="VideoPipeline"/> from <see cref="PipelineOptions"/>: real checkpoints when given,
/// else the seeded-random tiny model (same code, tiny sizes). Call it on the thread that will run the pipeline.</summary>
public static class PipelineFactory
{
    /// <summary>The DiT configuration the options describe, without loading anything.</summary>
    public static WanConfig DitConfigOf(PipelineOptions options) =>
        options.RandomWeights ? WanConfig.Tiny
        : options.DitConfig is { } path ? WanConfig.FromJsonFile(path)
        : WanConfig.Wan2_1_T2V_1_3B;

    public static ModelDimensions DimensionsOf(PipelineOptions options) =>
        ModelDimensions.FromConfig(DitConfigOf(options), 3, TorchRuntime.ParseDType(options.DType) == torch.ScalarType.Float32 ? 4 : 2);

    public static VideoPipeline Create(PipelineOptions options)
    {
        if (options.Threads > 0) IntraOpThreads.PinCurrentThread(options.Threads);
        var device = TorchRuntime.ParseDevice(options.Device);
        var dtype = TorchRuntime.ParseDType(options.DType);
        var owned = new CompositeDisposable();
        try
        {
            var dit = owned.Add(new WanDiT(DitConfigOf(options), device, dtype));
            ITextEncoder encoder;
            WanVaeDecoderModel? vae = null;
            string modelId, hash;
            if (options.RandomWeights)
            {
                SeededInitializer.Initialize(dit, options.TinySeed);
                encoder = owned.Add(UmT5TextEncoder.RandomDemo(dit.Config.TextDim, dit.Config.TextLen, options.TinySeed + 1, device));
                if (options.Decode)
                {
                    vae = owned.Add(WanVaeDecoderModel.Create(WanVaeConfig.Tiny, device, dtype));
                    vae.InitializeRandom(options.TinySeed + 2);
                }
                modelId = $"tiny-random-wan (seed {options.TinySeed})";
                hash = Sha256Hex(Encoding.UTF8.GetBytes($"{dit.Config.ToJson()}|{encoder.ModelId}|{WanVaeConfig.Tiny}|{options.TinySeed}"));
            }
            else
            {
                if (string.IsNullOrWhiteSpace(options.TextEncoderWeights) || string.IsNullOrWhiteSpace(options.Tokenizer))
                    throw new ArgumentException("Engine:TextEncoderWeights and Engine:Tokenizer are required with Engine:DitWeights (the DiT needs umT5 text context).");
                using (var file = CheckpointLoader.Open(options.DitWeights!)) ModuleWeights.LoadStrict(dit, file);
                var t5 = owned.Add(UmT5TextEncoder.FromCheckpoint(options.TextEncoderWeights!, options.Tokenizer!, device, dtype, dit.Config.TextLen));
                encoder = t5;
                if (options.Decode && !string.IsNullOrWhiteSpace(options.VaeWeights))
                {
                    vae = owned.Add(WanVaeDecoderModel.Create(WanVaeConfig.Wan21, device, dtype));
                    var state = CheckpointLoader.LoadStateDict(options.VaeWeights!);
                    try
                    {
                        vae.LoadStateDict(state, options.VaeWeights!);
                    }
                    finally
                    {
                        foreach (var t in state.Values) t.Dispose();
                    }
                }
                modelId = Path.GetFileName(options.DitWeights!);
                hash = FilesSha256([options.DitWeights!, options.TextEncoderWeights!, options.Tokenizer!, .. options.VaeWeights is null ? Array.Empty<string>() : [options.VaeWeights]]);
            }
            // Repeated prompts (a seed sweep, retried items) are encoded once per silo.
            encoder = owned.Add(new CachedTextEncoder(encoder));
            var chunkModel = owned.Add(new WanChunkModel(dit));
            var models = new SamplerModels(chunkModel, chunkModel);
            var samplers = SamplerRegistry.Names.ToDictionary(n => n, n => (VideoPipeline.SamplerFactory)(o => SamplerRegistry.Create(n, models, o)));
            var vaeModel = vae;
            Func<IStreamingVideoDecoder>? decoder = vaeModel is null ? null : () => new StreamingWanVaeDecoder(vaeModel);
            long bytes = dit.parameters().Sum(p => p.NumberOfElements * p.ElementSize);
            var info = new PipelineInfo(modelId, hash, options.RandomWeights, options.Device, options.DType, bytes) { ConvolutionCheck = vae?.ConvolutionCheck.Summary };
            return new VideoPipeline(info, encoder, samplers, decoder, owned);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    private static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static string FilesSha256(IEnumerable<string> paths)
    {
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
        {
            using var stream = File.OpenRead(path);
            all.AppendData(SHA256.HashData(stream));
        }
        return Convert.ToHexStringLower(all.GetHashAndReset());
    }

    private sealed class CompositeDisposable : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public T Add<T>(T item) where T : IDisposable
        {
            _items.Add(item);
            return item;
        }

        public void Dispose()
        {
            for (int i = _items.Count - 1; i >= 0; i--) _items[i].Dispose();
            _items.Clear();
        }
    }
}
