namespace HiStream.Bench.Farm;

/// <summary>Hand-out latencies, the device's idle time between a video's chunks, and the per-video start and finish,
/// collected from all simulated silos.</summary>
public sealed class BenchStats
{
    private readonly Lock _lock = new();
    private readonly List<double> _handOuts = [];
    private readonly List<double> _idleBetweenChunks = [];
    private double _startMs;
    private double _finishMs;
    private long _videos;

    public void HandOut(double ms)
    {
        lock (_lock) _handOuts.Add(ms);
    }

    /// <summary>From the end of one chunk's render to the start of the next one's, in the same video.</summary>
    public void DeviceIdleBetweenChunks(double ms)
    {
        lock (_lock) _idleBetweenChunks.Add(ms);
    }

    /// <summary>From the lease to the first chunk's render (Started report, resume point).</summary>
    public void VideoStart(double ms)
    {
        lock (_lock) _startMs += ms;
    }

    /// <summary>From the last chunk's render to the lease's end (last chunk stored, metadata, results line, state, end).</summary>
    public void VideoFinish(double ms)
    {
        lock (_lock) _finishMs += ms;
    }

    public void VideoDone() => Interlocked.Increment(ref _videos);

    public long Videos => Interlocked.Read(ref _videos);
    public int HandOuts { get { lock (_lock) return _handOuts.Count; } }

    public double HandOutPercentile(double p) => Percentile(_handOuts, p);

    public double HandOutMean
    {
        get { lock (_lock) return _handOuts.Count == 0 ? double.NaN : _handOuts.Average(); }
    }

    public double IdleBetweenChunksPercentile(double p) => Percentile(_idleBetweenChunks, p);

    public double IdleBetweenChunksMean
    {
        get { lock (_lock) return _idleBetweenChunks.Count == 0 ? double.NaN : _idleBetweenChunks.Average(); }
    }

    public double StartMsPerVideo
    {
        get { lock (_lock) return _videos == 0 ? double.NaN : _startMs / _videos; }
    }

    public double FinishMsPerVideo
    {
        get { lock (_lock) return _videos == 0 ? double.NaN : _finishMs / _videos; }
    }

    private double Percentile(List<double> values, double p)
    {
        lock (_lock)
        {
            if (values.Count == 0) return double.NaN;
            var sorted = values.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }
}
