using TorchSharp;

namespace HiStream.Engine;

/// <summary>
/// libtorch's intra-op thread count: the one place the engine sets it. In this libtorch (GNU OpenMP, MKL) the count
/// belongs to each OS thread, plus a process-wide default that <c>set_num_threads</c> also writes. A thread adopts that
/// default at its first parallel operation, even after it called <c>set_num_threads</c> itself: a thread that sets 1
/// and then runs its first op after another thread set 2 runs with 2. <see cref="PinCurrentThread"/> lets the
/// adoption happen first, so the count it sets holds for the thread whatever other threads set later.
/// </summary>
public static class IntraOpThreads
{
    /// <summary>Sets the calling thread's intra-op thread count for good. Like any <c>set_num_threads</c>, it is also
    /// the default of threads that have not run a parallel operation yet.</summary>
    public static void PinCurrentThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        torch.get_num_threads(); // runs libtorch's one-time per-thread initialisation, which reads the process default
        torch.set_num_threads(threads);
    }

    /// <summary>The calling thread's intra-op thread count (a thread that never set one takes the process default now).</summary>
    public static int OfCurrentThread => torch.get_num_threads();
}
