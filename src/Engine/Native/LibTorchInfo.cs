namespace HiStream.Engine.Native;

/// <summary>What a process runs on: the libtorch it loaded and the CUDA device it sees.</summary>
/// <param name="Source">bundled, --libtorch, HISTREAM_LIBTORCH or python3.</param>
/// <param name="CudaBuild">The CUDA version libtorch was built for; null for a CPU build.</param>
/// <param name="CudaRuntime">The CUDA runtime version loaded with it, when CUDA is present.</param>
public sealed record LibTorchInfo(
    string Source, string Directory, string Version, string? CudaBuild, bool CudaAvailable, int CudaDevices,
    string? DeviceName, string? CudaRuntime, string? CudaDriver)
{
    public string Describe() =>
        $"libtorch {Version} ({Source}: {Directory}); " +
        (CudaBuild is null ? "CPU build" : $"CUDA build {CudaBuild}") +
        (CudaAvailable
            ? $"; CUDA available: {CudaDevices} device(s), device 0: {DeviceName ?? "name unknown"}; CUDA runtime {CudaRuntime ?? "?"}, driver API {CudaDriver ?? "?"}"
            : "; CUDA not available (device: cpu)");
}
