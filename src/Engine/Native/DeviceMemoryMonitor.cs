namespace HiStream.Engine.Native;

/// <summary>
/// Peak device memory in use while it runs: polls the CUDA runtime's free/total (cudaMemGetInfo) on a background
/// thread. TorchSharp exposes no allocator statistics, so this counts what the device has handed out (the caching
/// allocator's reserve, the CUDA context, cuBLAS workspaces) above the level at <see cref="Start"/>.
/// </summary>
public sealed class DeviceMemoryMonitor : IDisposable
{
    private readonly CudaRuntimeProbe _probe;
    private readonly long _baseline;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _peak;

    private DeviceMemoryMonitor(CudaRuntimeProbe probe, TimeSpan interval)
    {
        _probe = probe;
        _baseline = probe.UsedBytes() ?? 0;
        _peak = _baseline;
        _thread = new Thread(() =>
        {
            while (!_stop.Token.WaitHandle.WaitOne(interval)) Sample();
        }) { IsBackground = true, Name = "device-memory-monitor" };
        _thread.Start();
    }

    /// <summary>A running monitor, or null when no CUDA runtime is loaded (CPU runs).</summary>
    public static DeviceMemoryMonitor? Start(TimeSpan? interval = null) =>
        CudaRuntimeProbe.FromLoadedLibTorchCuda() is { } probe ? new DeviceMemoryMonitor(probe, interval ?? TimeSpan.FromMilliseconds(5)) : null;

    /// <summary>Device memory in use when the monitor started.</summary>
    public long BaselineBytes => _baseline;

    /// <summary>Highest device memory in use seen so far (absolute, not minus the baseline).</summary>
    public long PeakBytes
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak);
        }
    }

    private void Sample()
    {
        if (_probe.UsedBytes() is not { } used) return;
        long seen;
        while (used > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, used, seen) != seen) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
