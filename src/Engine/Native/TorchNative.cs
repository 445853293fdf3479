using TorchSharp;

namespace HiStream.Engine.Native;

/// <summary>
/// Binds TorchSharp to a libtorch before its first call: the one bundled in the build, or an existing one (a PyTorch
/// install's <c>torch/lib</c>) from <c>--libtorch</c>, <c>HISTREAM_LIBTORCH</c> or <c>python3 -c "import torch"</c>.
/// Call <see cref="Initialize"/> once at start, before anything touches <c>torch</c>.
/// </summary>
public static class TorchNative
{
    /// <summary>The libtorch version TorchSharp 0.107's native binding was compiled against.</summary>
    public const string BuiltForLibTorch = "2.10.0";

    public static LibTorchInfo Initialize(LibTorchRequest request, Action<string>? log = null) =>
        Initialize(request, LibTorchLocator.AppDirectory, LibTorchLocator.ProbePython, log);

    public static LibTorchInfo Initialize(LibTorchRequest request, string appDirectory, Func<string?> pythonProbe, Action<string>? log = null)
    {
        var resolved = LibTorchLocator.Resolve(request, appDirectory, pythonProbe);
        nint cudaHandle = 0;
        string source, directory, version;
        string? cudaBuild;
        if (resolved is null)
        {
            source = "bundled";
            directory = appDirectory;
            (version, cudaBuild) = (BuiltForLibTorch, File.Exists(Path.Combine(appDirectory, "libtorch_cuda.so")) ? "bundled" : null);
        }
        else
        {
            source = resolved.Source;
            directory = resolved.Directory!;
            (version, cudaBuild) = LibTorchVersion.Read(directory);
            log?.Invoke($"loading libtorch {version} from {directory} ({source})");
            cudaHandle = ExternalLibTorchLoader.Load(directory, appDirectory);
        }

        bool cuda;
        int devices;
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            cuda = torch.cuda.is_available();
            devices = cuda ? torch.cuda.device_count() : 0;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            throw new LibTorchLoadException($"TorchSharp could not start on libtorch {version} from '{directory}' ({source}): {e.Message}", e);
        }
        var probe = cuda ? (cudaHandle != 0 ? CudaRuntimeProbe.From(cudaHandle) : CudaRuntimeProbe.FromLoadedLibTorchCuda()) : null;
        var info = new LibTorchInfo(source, directory, version, cudaBuild, cuda, devices, probe?.DeviceName(0), probe?.RuntimeVersion, probe?.DriverVersion);
        log?.Invoke(info.Describe());
        return info;
    }
}
