using HiStream.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Text;

/// <summary>
/// Prompt to context rows with umT5: clean, tokenize (EOS, truncation to text_len), encode the real tokens, return
/// float32 rows on the CPU. The weights live on their own device (which need not be the DiT's) and are loaded on first
/// use; <see cref="Release"/> frees them (e.g. before rendering, so the 11 GB umT5-XXL is not kept on the GPU) and
/// the next <see cref="Encode"/> loads them again. Thread-safe: encodes are serialised.
/// </summary>
/// <remarks>
/// Only the real tokens are encoded, without padding to text_len. The reference pads to text_len with a key mask that
/// sets padded logits to the dtype minimum, so the padded keys get exactly zero attention weight and the real rows
/// are the same; the saved work is up to text_len / tokens (a 40-token prompt: 12x fewer rows).
/// </remarks>
public sealed class UmT5TextEncoder : ITextEncoder, IDisposable
{
    private readonly Func<UmT5EncoderModel> _load;
    private readonly object _gate = new();
    private UmT5EncoderModel? _model;
    private long _invocations;
    private bool _disposed;

    private UmT5TextEncoder(T5Tokenizer tokenizer, UmT5Config config, Device device, ScalarType dtype, string modelId, Func<UmT5EncoderModel> load)
    {
        config.Validate();
        if (tokenizer.VocabSize > config.Vocab)
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabSize} pieces but the encoder's vocabulary is {config.Vocab}; they do not belong together.");
        Tokenizer = tokenizer;
        Config = config;
        Device = device;
        DType = dtype;
        ModelId = modelId;
        _load = load;
    }

    /// <summary>
    /// umT5 weights from a checkpoint (models_t5_umt5-xxl-enc-bf16.pth or a safetensors copy, reference key names) and
    /// the SentencePiece tokenizer (google/umt5-xxl/spiece.model). The architecture is read from the checkpoint's shapes.
    /// Nothing is loaded onto the device until the first encode (or <see cref="Load"/>).
    /// </summary>
    public static UmT5TextEncoder FromCheckpoint(string weightsPath, string tokenizerPath, Device device, ScalarType dtype, int textLen = 512)
    {
        var tokenizer = T5Tokenizer.FromFile(tokenizerPath);
        UmT5Config config;
        using (var file = CheckpointLoader.Open(weightsPath)) config = UmT5Checkpoint.InferConfig(file, textLen);
        var info = new FileInfo(weightsPath);
        var id = $"umt5:{info.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks:x}:{DTypeName(dtype)}|{tokenizer.ModelId}";
        return new UmT5TextEncoder(tokenizer, config, device, dtype, id, () =>
        {
            var model = new UmT5EncoderModel(config, dtype, device);
            try
            {
                using var file = CheckpointLoader.Open(weightsPath);
                ModuleWeights.LoadStrict(model, file);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        });
    }

    /// <summary>
    /// A seeded-random umT5 of the given width with the built-in demo tokenizer: the same code path as the real encoder
    /// for running the pipeline without weights. Its output carries no meaning, and its ModelId says so.
    /// </summary>
    public static UmT5TextEncoder RandomDemo(int dim, int textLen, long seed, Device device, int layers = 2, int heads = 2)
    {
        var tokenizer = T5Tokenizer.BuiltInDemo();
        var config = new UmT5Config(Vocab: tokenizer.VocabSize, Dim: dim, DimAttn: dim, DimFfn: 2 * dim, NumHeads: heads, NumLayers: layers, TextLen: textLen);
        var id = $"random-demo-umt5(dim {dim}, {layers} layers, seed {seed}; random weights, not a real text encoder)|{tokenizer.ModelId}";
        return new UmT5TextEncoder(tokenizer, config, device, ScalarType.Float32, id, () =>
        {
            var model = new UmT5EncoderModel(config, ScalarType.Float32, device);
            model.InitializeRandom(seed);
            return model;
        });
    }

    public string ModelId { get; }
    public T5Tokenizer Tokenizer { get; }
    public UmT5Config Config { get; }
    public Device Device { get; }
    public ScalarType DType { get; }

    public bool IsLoaded
    {
        get { lock (_gate) return _model != null; }
    }

    /// <summary>Number of prompts run through the network so far (cache hits upstream do not count).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>Loads the weights onto the device now instead of at the first encode.</summary>
    public void Load()
    {
        lock (_gate) EnsureLoaded();
    }

    /// <summary>Frees the weights (device memory included). A later encode loads them again.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _model?.Dispose();
            _model = null;
        }
    }

    public TextEncoding Encode(string prompt)
    {
        var cleaned = PromptCleaner.Clean(prompt);
        if (cleaned.Length == 0) throw new ArgumentException("The prompt is empty (or only whitespace). Give a text prompt.", nameof(prompt));
        var tokens = Tokenizer.Tokenize(cleaned, Config.TextLen);
        lock (_gate)
        {
            var model = EnsureLoaded();
            Interlocked.Increment(ref _invocations);
            using var scope = torch.NewDisposeScope();
            using var ids = torch.tensor(tokens.Ids.Select(i => (long)i).ToArray(), new long[] { 1, tokens.Ids.Length });
            var hidden = model.call(ids, null);
            var context = hidden[0].to(ScalarType.Float32).cpu().contiguous();
            return new TextEncoding(context.MoveToOuterDisposeScope(), tokens.Ids.Length, tokens.Truncated);
        }
    }

    private UmT5EncoderModel EnsureLoaded()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _model ??= _load();
    }

    private static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        _ => t.ToString(),
    };

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _model?.Dispose();
            _model = null;
        }
    }
}
