using System.Runtime.InteropServices;

namespace HiStream.Engine.Native;

/// <summary>
/// Loads a libtorch folder by full path before TorchSharp's first call (TorchSharp's documented route for a Python
/// PyTorch install, TorchSharp issue 169). TorchSharp then loads <c>torch_cuda</c>/<c>torch_cpu</c> and
/// <c>LibTorchSharp</c> by name, and the dynamic loader hands back these already-loaded libraries (it matches sonames
/// before searching any path).
/// </summary>
public static class ExternalLibTorchLoader
{
    /// <summary>Loaded in this order; a missing optional one is skipped (a CPU-only PyTorch has no CUDA libraries).</summary>
    private static readonly (string File, bool Required)[] Libraries =
    [
        ("libc10.so", true),
        ("libtorch_cpu.so", true),
        ("libc10_cuda.so", false),
        ("libtorch_cuda.so", false),
        ("libtorch.so", true),
    ];

    public const string BindingLibrary = "libLibTorchSharp.so";

    /// <returns>The handle of libtorch_cuda.so, or 0 when the folder has none.</returns>
    public static nint Load(string libDirectory, string bindingDirectory)
    {
        nint cuda = 0;
        foreach (var (file, required) in Libraries)
        {
            var path = Path.Combine(libDirectory, file);
            if (!File.Exists(path))
            {
                if (required) throw new LibTorchLoadException($"libtorch folder '{libDirectory}' has no {file}.");
                continue;
            }
            nint handle;
            try { handle = NativeLibrary.Load(path); }
            catch (DllNotFoundException e)
            {
                throw new LibTorchLoadException($"Could not load {path}: {e.Message}", e);
            }
            if (file == "libtorch_cuda.so") cuda = handle;
        }

        var binding = Path.Combine(bindingDirectory, BindingLibrary);
        if (!File.Exists(binding))
            throw new LibTorchLoadException($"TorchSharp's native binding {binding} is missing (the build should have copied it from the TorchSharp package).");
        try { NativeLibrary.Load(binding); }
        catch (DllNotFoundException e)
        {
            throw new LibTorchLoadException(
                $"TorchSharp's native binding {BindingLibrary} (built for libtorch {TorchNative.BuiltForLibTorch}) did not bind to the libtorch in '{libDirectory}': {e.Message} " +
                "scripts/gpu-check.sh lists every symbol it lacks and can rebuild the binding against this libtorch (docs/gpu.md).", e);
        }
        return cuda;
    }
}
