using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Caching;

/// <summary>
/// Cross-attention keys and values of every block for one prompt ([B, text_len, heads, head_dim] each, preallocated).
/// They are computed from the text context on the first model call and reused by later calls; the context must not
/// change while the cache is initialised (<see cref="Reset"/> for a new prompt). The cache does not depend on the
/// resolution, so low- and high-resolution passes of one video can share it.
/// </summary>
public sealed class CrossAttentionCache : IDisposable
{
    private readonly torch.Tensor[] _k;
    private readonly torch.Tensor[] _v;
    private readonly bool[] _filled;
    private bool _disposed;

    public CrossAttentionCache(WanConfig config, int batch, torch.Device device, torch.ScalarType dtype)
    {
        config.Validate();
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch must be positive.");
        Layers = config.NumLayers;
        Batch = batch;
        Device = device;
        DType = dtype;
        TextLen = config.TextLen;
        Heads = config.NumHeads;
        HeadDim = config.HeadDim;
        _k = new torch.Tensor[Layers];
        _v = new torch.Tensor[Layers];
        _filled = new bool[Layers];
        var shape = new[] { (long)batch, TextLen, Heads, HeadDim };
        for (int i = 0; i < Layers; i++)
        {
            _k[i] = torch.empty(shape, dtype, device).DetachFromDisposeScope();
            _v[i] = torch.empty(shape, dtype, device).DetachFromDisposeScope();
        }
    }

    public int Layers { get; }
    public int Batch { get; }
    public int TextLen { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public torch.Device Device { get; }
    public torch.ScalarType DType { get; }

    /// <summary>True once every layer holds its keys and values.</summary>
    public bool IsInitialized => !_disposed && _filled.All(f => f);

    public long Bytes => 2L * Layers * Batch * TextLen * Heads * HeadDim * _k[0].element_size();

    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Array.Clear(_filled);
    }

    internal bool TryGet(int layer, out torch.Tensor keys, out torch.Tensor values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        keys = _k[layer];
        values = _v[layer];
        return _filled[layer];
    }

    internal (torch.Tensor Keys, torch.Tensor Values) Store(int layer, torch.Tensor k, torch.Tensor v)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!k.shape.SequenceEqual(_k[layer].shape))
            throw new ArgumentException($"Cross-attention keys for layer {layer} are [{string.Join(", ", k.shape)}], the cache expects [{string.Join(", ", _k[layer].shape)}] (batch or text length differ).");
        using (torch.no_grad())
        {
            _k[layer].copy_(k);
            _v[layer].copy_(v);
        }
        _filled[layer] = true;
        return (_k[layer], _v[layer]);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _k) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
