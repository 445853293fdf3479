namespace HiStream.Bench.Farm;

/// <summary>Hand-out latencies and orchestration times, collected from all simulated silos.</summary>
public sealed class BenchStats
{
    private readonly Lock _lock = new();
    private readonly List<double> _handOuts = [];
    private double _chunkOrchestrationMs;
    private double _videoOrchestrationMs;
    private long _chunks;
    private long _videos;

    public void HandOut(double ms)
    {
        lock (_lock) _handOuts.Add(ms);
    }

    public void Orchestration(double ms, bool chunk)
    {
        lock (_lock)
        {
            if (chunk)
            {
                _chunkOrchestrationMs += ms;
                _chunks++;
            }
            else _videoOrchestrationMs += ms;
        }
    }

    public void VideoDone() => Interlocked.Increment(ref _videos);

    public long Videos => Interlocked.Read(ref _videos);
    public long Chunks { get { lock (_lock) return _chunks; } }
    public int HandOuts { get { lock (_lock) return _handOuts.Count; } }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_handOuts.Count == 0) return double.NaN;
            var sorted = _handOuts.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }

    /// <summary>Per chunk: the chunk's own bookkeeping (blob write, renewal, report) plus its share of the per-video
    /// start and end (Started/Completed reports, lease end).</summary>
    public double OrchestrationMsPerChunk
    {
        get
        {
            lock (_lock) return _chunks == 0 ? double.NaN : (_chunkOrchestrationMs + _videoOrchestrationMs) / _chunks;
        }
    }
}
