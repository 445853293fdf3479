using HiStream.Engine.Caching;
using HiStream.Engine.Models.Layers;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;

namespace HiStream.Engine.Models;

/// <summary>
/// The Wan2.1 diffusion transformer (model-spec §1–2). State-dict keys are exactly the reference names
/// (<c>patch_embedding</c>, <c>text_embedding.0/.2</c>, <c>time_embedding.0/.2</c>, <c>time_projection.1</c>,
/// <c>blocks.N.*</c>, <c>head.modulation</c>, <c>head.head</c>), so Wan2.1 and Self-Forcing checkpoints bind as
/// they are. One module serves both forwards: <see cref="Forward"/> (bidirectional <c>WanModel</c>) and
/// <see cref="ForwardCausal"/> (Self-Forcing's <c>CausalWanModel</c> with KV caches). Timesteps are per frame.
/// Parameters are created uninitialised on the given device/dtype (the meta device works for shape checks):
/// bind weights with <see cref="Checkpoints.ModuleWeights"/> (strict) or <see cref="SeededInitializer"/>.
/// The module holds no per-call state; concurrent calls need separate caches.
/// </summary>
public sealed class WanDiT : torch.nn.Module
{
    [ComponentName(Name = "patch_embedding")]
    private readonly PatchEmbedding _patchEmbedding;
    [ComponentName(Name = "text_embedding")]
    private readonly TwoLayerMlp _textEmbedding;
    [ComponentName(Name = "time_embedding")]
    private readonly TwoLayerMlp _timeEmbedding;
    [ComponentName(Name = "time_projection")]
    private readonly SiluLinear _timeProjection;
    [ComponentName(Name = "blocks")]
    private readonly ModuleList<AttentionBlock> _blocks;
    [ComponentName(Name = "head")]
    private readonly Head _head;

    public WanDiT(WanConfig config, torch.Device? device = null, torch.ScalarType dtype = torch.ScalarType.Float32, RopeSettings? rope = null)
        : base("WanDiT")
    {
        Config = config.Validate();
        Device = device ?? torch.CPU;
        DType = dtype;
        Rope = new Rope3D(config.HeadDim, rope ?? RopeSettings.Default);
        var d = Device;
        _patchEmbedding = new PatchEmbedding(config, d, dtype);
        _textEmbedding = new TwoLayerMlp(config.TextDim, config.Dim, config.Dim, MlpActivation.GeluTanh, d, dtype);
        _timeEmbedding = new TwoLayerMlp(config.FreqDim, config.Dim, config.Dim, MlpActivation.SiLU, d, dtype);
        _timeProjection = new SiluLinear(config.Dim, 6L * config.Dim, d, dtype);
        _blocks = new ModuleList<AttentionBlock>();
        for (int i = 0; i < config.NumLayers; i++) _blocks.Add(new AttentionBlock(i, config, d, dtype));
        _head = new Head(config, d, dtype);
        RegisterComponents();
    }

    public WanConfig Config { get; }
    public torch.Device Device { get; }
    public torch.ScalarType DType { get; }

    /// <summary>Where the weights came from (a checkpoint path, or seeded random weights); for logs and outputs.</summary>
    public string WeightsSource { get; internal set; } = "uninitialised (bind weights before use)";

    /// <summary>Default RoPE frequencies (plain Wan RoPE unless the constructor was given other settings).</summary>
    public Rope3D Rope { get; }

    /// <summary>Parameter count and tensor count of the state dict.</summary>
    public (long Parameters, int Tensors) Size()
    {
        long n = 0;
        int count = 0;
        foreach (var (_, p) in named_parameters())
        {
            n += p.numel();
            count++;
        }
        return (n, count);
    }

    /// <summary>Bidirectional forward (Wan2.1 <c>WanModel</c>): every token attends to every token of its sample.</summary>
    /// <param name="x">Latent [B, in_dim, F, H, W].</param>
    /// <param name="timesteps">[B] (one per sample) or [B, F] (one per frame); float, not rounded.</param>
    /// <param name="context">Text embedding [B, L, text_dim] with L &lt;= text_len (zero-padded to text_len here).</param>
    /// <param name="probe">Optional observer of intermediate activations (debugging and tests). A tensor is valid only during
    /// the callback: keep a <c>clone().DetachFromDisposeScope()</c>.</param>
    /// <returns>Flow prediction [B, out_dim, F, H, W].</returns>
    public torch.Tensor Forward(torch.Tensor x, torch.Tensor timesteps, torch.Tensor context, Action<string, torch.Tensor>? probe = null) =>
        Run(x, timesteps, context, startFrame: 0, rope: null, kvCache: null, crossCache: null, probe);

    /// <summary>
    /// Causal forward of one chunk (Self-Forcing <c>CausalWanModel</c>): the chunk's keys are written to
    /// <paramref name="kvCache"/> (after RoPE, at absolute frame <paramref name="startFrame"/>) and its queries attend
    /// to everything the cache holds, itself included. Repeating a call for the same chunk overwrites its slots.
    /// </summary>
    /// <param name="x">Chunk latent [B, in_dim, F, H, W].</param>
    /// <param name="timesteps">[B, F] (or [B]).</param>
    /// <param name="startFrame">Absolute latent frame of the chunk's first frame.</param>
    /// <param name="rope">RoPE settings for this call (e.g. NTK-scaled for a high-resolution pass); default: <see cref="Rope"/>.</param>
    public torch.Tensor ForwardCausal(torch.Tensor x, torch.Tensor timesteps, torch.Tensor context, KvCache kvCache,
        CrossAttentionCache crossCache, long startFrame, Rope3D? rope = null, Action<string, torch.Tensor>? probe = null) =>
        Run(x, timesteps, context, startFrame, rope, kvCache, crossCache, probe);

    private torch.Tensor Run(torch.Tensor x, torch.Tensor timesteps, torch.Tensor context, long startFrame, Rope3D? rope,
        KvCache? kvCache, CrossAttentionCache? crossCache, Action<string, torch.Tensor>? probe)
    {
        var c = Config;
        if (x.dim() != 5 || x.shape[1] != c.InDim)
            throw new ArgumentException($"Latent must be [B, {c.InDim}, F, H, W], got [{string.Join(", ", x.shape)}].", nameof(x));
        long b = x.shape[0], frames = x.shape[2], height = x.shape[3], width = x.shape[4];
        var p = c.PatchSize;
        if (frames % p.T != 0 || height % p.H != 0 || width % p.W != 0)
            throw new ArgumentException($"Latent grid {frames}x{height}x{width} is not divisible by the patch size ({p.T}, {p.H}, {p.W}).", nameof(x));
        long f = frames / p.T, h = height / p.H, w = width / p.W;
        long tokensPerFrame = h * w, tokens = f * tokensPerFrame;
        if (rope != null && rope.HeadDim != c.HeadDim)
            throw new ArgumentException($"RoPE table is for head_dim {rope.HeadDim}, the model has {c.HeadDim}.", nameof(rope));
        if (kvCache != null)
        {
            if (kvCache.Batch != b || kvCache.Layers != c.NumLayers || kvCache.Heads != c.NumHeads || kvCache.HeadDim != c.HeadDim)
                throw new ArgumentException($"KV cache (batch {kvCache.Batch}, {kvCache.Layers} layers, {kvCache.Heads}x{kvCache.HeadDim}) does not fit this model and batch {b}.", nameof(kvCache));
            if (kvCache.TokensPerFrame != tokensPerFrame)
                throw new ArgumentException($"KV cache was created for {kvCache.TokensPerFrame} tokens per frame, this latent has {tokensPerFrame} ({h}x{w}).", nameof(kvCache));
            if (kvCache.DType != DType || kvCache.Device.type != Device.type)
                throw new ArgumentException($"KV cache lives on {kvCache.Device} as {kvCache.DType}, the model on {Device} as {DType}.", nameof(kvCache));
        }
        if (crossCache != null)
        {
            if (crossCache.Batch != b || crossCache.Layers != c.NumLayers || crossCache.TextLen != c.TextLen || crossCache.Heads != c.NumHeads || crossCache.HeadDim != c.HeadDim)
                throw new ArgumentException($"Cross-attention cache (batch {crossCache.Batch}, {crossCache.Layers} layers, text_len {crossCache.TextLen}) does not fit this model and batch {b}.", nameof(crossCache));
            if (crossCache.DType != DType || crossCache.Device.type != Device.type)
                throw new ArgumentException($"Cross-attention cache lives on {crossCache.Device} as {crossCache.DType}, the model on {Device} as {DType}.", nameof(crossCache));
        }

        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var dtype = DType;
        var computeRope = dtype == torch.ScalarType.Float64 ? torch.ScalarType.Float64 : torch.ScalarType.Float32;
        x = x.to(dtype, Device);

        // Time embedding per frame: e [B, F, dim], e0 [B, F, 6, dim].
        var t = FrameTimesteps(timesteps, b, f);
        var sinusoid = TimestepEmbedding.Sinusoid(t, c.FreqDim).to(dtype);
        var e = _timeEmbedding.Forward(sinusoid);
        var e0 = _timeProjection.Forward(e);
        probe?.Invoke("time_embedding", e);
        probe?.Invoke("time_projection", e0);
        e = e.view(b, f, c.Dim);
        e0 = e0.view(b, f, 6, c.Dim);

        // Text: pad to text_len with zero rows, then the MLP (padded rows become non-zero). Skipped once cached.
        torch.Tensor? ctx = null;
        if (crossCache == null || !crossCache.IsInitialized || probe != null)
            ctx = EmbedText(context, b);
        if (ctx is not null) probe?.Invoke("text_embedding", ctx);

        var patches = _patchEmbedding.Forward(x);
        probe?.Invoke("patch_embedding", patches);
        var stream = patches.flatten(2).transpose(1, 2).contiguous();          // [B, L, dim]

        using var angles = (rope ?? Rope).Angles(startFrame, (int)f, (int)h, (int)w, Device, computeRope);
        ISelfAttentionKv kv = kvCache != null ? kvCache.BeginWrite(startFrame * tokensPerFrame, tokens) : OwnTokensOnly.Instance;
        var inputs = new BlockInputs(angles, kv, ctx, crossCache);
        for (int i = 0; i < _blocks.Count; i++)
        {
            _blocks[i].Forward(stream, e0, inputs);
            probe?.Invoke($"block{i}", stream);
        }
        kvCache?.Commit(kv);

        var headOut = _head.Forward(stream, e);                                // [B, L, out·prod(patch)]
        probe?.Invoke("head", headOut);
        return Unpatchify(headOut, b, f, h, w).MoveToOuterDisposeScope();
    }

    private torch.Tensor FrameTimesteps(torch.Tensor timesteps, long b, long f)
    {
        var t = timesteps.to(torch.ScalarType.Float32, Device);
        if (t.dim() == 0) t = t.reshape(1);
        if (t.dim() == 1 && (t.shape[0] == b || t.shape[0] == 1)) return t.view(-1, 1).expand(b, f);
        if (t.dim() == 2 && t.shape[0] == b && t.shape[1] == f) return t;
        throw new ArgumentException($"Timesteps must be [B] or [B, F] = [{b}, {f}], got [{string.Join(", ", timesteps.shape)}].", nameof(timesteps));
    }

    private torch.Tensor EmbedText(torch.Tensor context, long b)
    {
        var c = Config;
        if (context.dim() == 2) context = context.unsqueeze(0);
        if (context.dim() != 3 || context.shape[2] != c.TextDim || (context.shape[0] != b && context.shape[0] != 1))
            throw new ArgumentException($"Text context must be [B, L, {c.TextDim}] or [L, {c.TextDim}], got [{string.Join(", ", context.shape)}].", nameof(context));
        if (context.shape[1] > c.TextLen)
            throw new ArgumentException($"Text context has {context.shape[1]} rows, the model takes at most text_len = {c.TextLen}.", nameof(context));
        context = context.to(DType, Device);
        if (context.shape[0] != b) context = context.expand(b, -1, -1);
        long pad = c.TextLen - context.shape[1];
        if (pad > 0) context = torch.cat(new[] { context, torch.zeros(new[] { b, pad, c.TextDim }, DType, Device) }, 1);
        return _textEmbedding.Forward(context);
    }

    /// <summary>[B, F·h·w, (pt, ph, pw, c)] → [B, c, F·pt, h·ph, w·pw].</summary>
    private torch.Tensor Unpatchify(torch.Tensor y, long b, long f, long h, long w)
    {
        var p = Config.PatchSize;
        int c = Config.OutDim;
        return y.view(b, f, h, w, p.T, p.H, p.W, c)
            .permute(0, 7, 1, 4, 2, 5, 3, 6)
            .reshape(b, c, f * p.T, h * p.H, w * p.W);
    }
}
