using System.Runtime.InteropServices;

namespace HiStream.Engine.Numerics;

/// <summary>
/// Switches on libtorch's global <c>at::Context</c> that TorchSharp does not expose (PyTorch's <c>torch.backends.*</c>).
/// They are plain exported C++ functions of <c>libtorch_cpu</c>; on x86-64 Linux a member function takes <c>this</c>
/// as its first argument. Elsewhere (other ABIs, a libtorch without the symbols) the calls do nothing and say so.
/// </summary>
internal static class LibTorchGlobalContext
{
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetUserEnabledNnpack = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string UserEnabledNnpack = "_ZNK2at7Context17userEnabledNNPACKEv";

    /// <summary>
    /// Turns NNPACK off. On CPUs NNPACK does not support, libtorch's convolution tried it and logged
    /// "Could not initialize NNPACK! Reason: Unsupported hardware." on every call (hundreds of lines per render). With
    /// it off, libtorch never asks. Returns whether NNPACK is now off.
    /// </summary>
    public static bool DisableNnpack()
    {
        if (!TryGetContext(out var library, out var context)) return false;
        if (!NativeLibrary.TryGetExport(library, SetUserEnabledNnpack, out var set) ||
            !NativeLibrary.TryGetExport(library, UserEnabledNnpack, out var get)) return false;
        unsafe
        {
            ((delegate* unmanaged<IntPtr, byte, void>)set)(context, 0);
            return ((delegate* unmanaged<IntPtr, byte>)get)(context) == 0;
        }
    }

    private static bool TryGetContext(out IntPtr library, out IntPtr context)
    {
        context = IntPtr.Zero;
        library = IntPtr.Zero;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch_cpu if nothing has yet
        // Already loaded by TorchSharp: dlopen by soname returns that copy.
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out library)) return false;
        if (!NativeLibrary.TryGetExport(library, GlobalContext, out var get)) return false;
        unsafe
        {
            context = ((delegate* unmanaged<IntPtr>)get)();
        }
        return context != IntPtr.Zero;
    }
}
