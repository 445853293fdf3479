using System.Runtime.CompilerServices;
using HiStream.Engine.Native;

namespace HiStream.Engine.Tests;

/// <summary>
/// Tests run tiny tensors, several test classes at once, on a shared 2-core machine: multi-threaded kernels then
/// spend their time waiting at OpenMP barriers for a core (a 72x48 matmul took 7 ms with 2 threads under load,
/// 70 us with 1). One intra-op thread per process keeps the suite fast and steady. HISTREAM_TEST_TORCH_THREADS
/// overrides it. Before that, TorchSharp is bound to the libtorch named by HISTREAM_LIBTORCH when it is set (the
/// external-libtorch run of scripts/test.sh), else to the bundled one.
/// </summary>
internal static class TorchTestSettings
{
    [ModuleInitializer]
    internal static void UseOneThread()
    {
        TorchNative.Initialize(LibTorchRequest.FromEnvironment());
        IntraOpThreads.PinCurrentThread(Threads);
    }

    /// <summary>The intra-op thread count of the test process (and so the default of every test thread).</summary>
    internal static int Threads =>
        int.TryParse(Environment.GetEnvironmentVariable("HISTREAM_TEST_TORCH_THREADS"), out var n) && n > 0 ? n : 1;
}
