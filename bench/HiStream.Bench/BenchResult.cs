namespace HiStream.Bench;

/// <summary>What one sampler measured in one video.</summary>
/// <param name="ChunkSeconds">Wall time between consecutive yielded chunks (what a streaming consumer sees).</param>
/// <param name="PeakKvCacheBytes">Measured peak of the sampler's KV-cache buffers; null where it keeps none.</param>
/// <param name="CpuSeconds">Process CPU time (all threads) of the run; on a shared machine it tracks the work done
/// much better than the wall time, which also counts the time other processes held the cores.</param>
/// <param name="TimeScale">Factor applied to the measured time (only for a partially-run bidirectional baseline).</param>
/// <param name="PeakDeviceBytes">Peak device memory in use during the video (whole process: weights, caches,
/// activations, CUDA context, and whatever earlier runs in the process left in the caching allocator; polled with
/// cudaMemGetInfo); null on CPU.</param>
/// <param name="DeviceBaselineBytes">Device memory in use when this run started (same source); null on CPU.</param>
public sealed record BenchResult(
    string Sampler, double DenoiseSeconds, IReadOnlyList<double> ChunkSeconds, double CpuSeconds, IReadOnlyList<double> ChunkCpuSeconds,
    int ModelPasses, long? PeakKvCacheBytes, double AnalyticFlops, double TimeScale, string Note, long? PeakDeviceBytes = null,
    long? DeviceBaselineBytes = null);
