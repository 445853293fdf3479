namespace HiStream.Engine.Text;

/// <summary>
/// Bounded LRU cache of text encodings in front of an encoder, keyed by the encoder's ModelId and the cleaned prompt,
/// so the same prompt (a batch of seeds, a retried job) is encoded once. Thread-safe. Every call returns a fresh copy
/// of the context that the caller owns and may dispose.
/// </summary>
public sealed class CachedTextEncoder : ITextEncoder, IDisposable
{
    private readonly ITextEncoder _inner;
    private readonly int _capacity;
    private readonly object _gate = new();
    private readonly Dictionary<(string, string), LinkedListNode<Entry>> _map = new();
    private readonly LinkedList<Entry> _lru = new(); // most recent first
    private long _hits, _misses;

    private sealed record Entry((string, string) Key, TextEncoding Value);

    public CachedTextEncoder(ITextEncoder inner, int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _inner = inner;
        _capacity = capacity;
    }

    public string ModelId => _inner.ModelId;
    public int Capacity => _capacity;
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);

    public int Count
    {
        get { lock (_gate) return _map.Count; }
    }

    public TextEncoding Encode(string prompt)
    {
        var key = (_inner.ModelId, PromptCleaner.Clean(prompt));
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                Interlocked.Increment(ref _hits);
                return Copy(node.Value.Value);
            }
        }
        // Encode outside the lock: other prompts are served meanwhile. Two threads missing the same prompt both encode; one result is kept.
        var encoded = _inner.Encode(prompt);
        Interlocked.Increment(ref _misses);
        var stored = Copy(encoded);
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                stored.Context.Dispose();
            }
            else
            {
                _map[key] = _lru.AddFirst(new Entry(key, stored));
                while (_map.Count > _capacity)
                {
                    var last = _lru.Last!;
                    _lru.RemoveLast();
                    _map.Remove(last.Value.Key);
                    last.Value.Value.Context.Dispose();
                }
            }
        }
        return encoded;
    }

    public void Clear()
    {
        lock (_gate)
        {
            foreach (var e in _lru) e.Value.Context.Dispose();
            _lru.Clear();
            _map.Clear();
        }
    }

    private static TextEncoding Copy(TextEncoding e) => e with { Context = e.Context.clone() };

    public void Dispose() => Clear();
}
