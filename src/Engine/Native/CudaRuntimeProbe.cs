using System.Runtime.InteropServices;
using System.Text;

namespace HiStream.Engine.Native;

/// <summary>
/// A few C entry points of the CUDA runtime that libtorch_cuda already loaded (looked up through its handle, which also
/// searches its dependencies): versions, device name and device memory in use. TorchSharp exposes none of these.
/// </summary>
public sealed unsafe class CudaRuntimeProbe
{
    private readonly delegate* unmanaged<int*, int> _runtimeVersion;
    private readonly delegate* unmanaged<int*, int> _driverVersion;
    private readonly delegate* unmanaged<nuint*, nuint*, int> _memGetInfo;
    private readonly delegate* unmanaged<byte*, int, int> _deviceProperties;

    private CudaRuntimeProbe(nint handle)
    {
        _runtimeVersion = (delegate* unmanaged<int*, int>)Export(handle, "cudaRuntimeGetVersion");
        _driverVersion = (delegate* unmanaged<int*, int>)Export(handle, "cudaDriverGetVersion");
        _memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)Export(handle, "cudaMemGetInfo");
        // CUDA 12+ headers map cudaGetDeviceProperties to the _v2 entry point; the struct starts with char name[256].
        var props = Export(handle, "cudaGetDeviceProperties_v2");
        _deviceProperties = (delegate* unmanaged<byte*, int, int>)(props != 0 ? props : Export(handle, "cudaGetDeviceProperties"));
    }

    /// <summary>The probe for a loaded libtorch_cuda (or libcudart) handle; null when the CUDA runtime is not reachable from it.</summary>
    public static CudaRuntimeProbe? From(nint handle)
    {
        if (handle == 0) return null;
        var probe = new CudaRuntimeProbe(handle);
        return probe._memGetInfo == null ? null : probe;
    }

    /// <summary>The probe through the libtorch_cuda that this process has loaded (by soname), or null.</summary>
    public static CudaRuntimeProbe? FromLoadedLibTorchCuda() =>
        NativeLibrary.TryLoad("libtorch_cuda.so", out var handle) ? From(handle) : null;

    public string? RuntimeVersion => Version(_runtimeVersion);
    public string? DriverVersion => Version(_driverVersion);

    /// <summary>Device memory in use on the current device (total − free), or null on error.</summary>
    public long? UsedBytes()
    {
        nuint free, total;
        return _memGetInfo(&free, &total) == 0 ? (long)(total - free) : null;
    }

    public long? TotalBytes()
    {
        nuint free, total;
        return _memGetInfo(&free, &total) == 0 ? (long)total : null;
    }

    public string? DeviceName(int device)
    {
        if (_deviceProperties == null) return null;
        var buffer = new byte[8192];   // cudaDeviceProp is about 1 KB; generous for newer layouts
        fixed (byte* p = buffer)
        {
            if (_deviceProperties(p, device) != 0) return null;
        }
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? 256 : Math.Min(end, 256));
    }

    private static string? Version(delegate* unmanaged<int*, int> f)
    {
        if (f == null) return null;
        int v;
        return f(&v) == 0 ? $"{v / 1000}.{v % 1000 / 10}" : null;
    }

    private static nint Export(nint handle, string name) => NativeLibrary.TryGetExport(handle, name, out var address) ? address : 0;
}
