using TorchSharp;

namespace HiStream.Engine.Vae;

/// <summary>
/// The per-layer temporal history of a causal decode ([W] <c>feat_cache</c>): slot i holds the last input frames seen
/// by the i-th cached layer, or the "Rep" marker of a temporal upsampler that skipped its first chunk. Slots are
/// consumed in call order and the cursor restarts for every pass. Slot tensors may live on a storage device other
/// than the compute device (e.g. CPU RAM while decoding on a GPU).
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    /// <summary>Frames a temporal kernel-3 causal conv needs from the past.</summary>
    public const int HistoryFrames = 2;

    private readonly List<torch.Tensor?> _tensors = new();
    private readonly List<bool> _rep = new();
    private readonly torch.Device? _storage;
    private int _cursor;

    public FeatureCache(torch.Device? storage = null) => _storage = storage;

    public int SlotCount => _tensors.Count;

    /// <summary>Bytes held by the cached tensors.</summary>
    public long Bytes => _tensors.Where(t => t is not null).Sum(t => t!.numel() * t.element_size());

    public void BeginPass() => _cursor = 0;

    /// <summary>The next slot to be handed out; saved and restored to run several slices through the same layers.</summary>
    public int Cursor
    {
        get => _cursor;
        set => _cursor = value >= 0 && value <= _tensors.Count ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public int NextSlot()
    {
        if (_cursor == _tensors.Count)
        {
            _tensors.Add(null);
            _rep.Add(false);
        }
        return _cursor++;
    }

    public bool IsEmpty(int slot) => _tensors[slot] is null && !_rep[slot];

    public bool IsRep(int slot) => _rep[slot];

    /// <summary>The slot's frames on <paramref name="device"/>; the caller disposes the returned tensor.</summary>
    public torch.Tensor? Get(int slot, torch.Device device)
    {
        var t = _tensors[slot];
        if (t is null) return null;
        return t.device == device ? t.alias() : t.to(device);
    }

    public void MarkRep(int slot)
    {
        _tensors[slot]?.Dispose();
        _tensors[slot] = null;
        _rep[slot] = true;
    }

    /// <summary>Stores <paramref name="frames"/> (taking ownership) in the slot, releasing what was there.</summary>
    public void Set(int slot, torch.Tensor frames)
    {
        var stored = _storage is null || frames.device == _storage ? frames : frames.to(_storage);
        if (!ReferenceEquals(stored, frames)) frames.Dispose();
        stored.DetachFromDisposeScope();
        _tensors[slot]?.Dispose();
        _tensors[slot] = stored;
        _rep[slot] = false;
    }

    public void Clear()
    {
        foreach (var t in _tensors) t?.Dispose();
        _tensors.Clear();
        _rep.Clear();
        _cursor = 0;
    }

    public void Dispose() => Clear();
}
