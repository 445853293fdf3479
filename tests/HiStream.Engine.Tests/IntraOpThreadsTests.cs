using TorchSharp;

namespace HiStream.Engine.Tests;

/// <summary>Tests that write libtorch's process-wide default thread count: they run alone, then restore it.</summary>
[CollectionDefinition(nameof(ProcessThreadDefault), DisableParallelization = true)]
public sealed class ProcessThreadDefault;

/// <summary>A render's intra-op thread count is the one its pipeline pinned, whatever other threads of the process
/// (other silos, other tests) set. Each case runs on fresh threads: libtorch initialises a thread's count once, at
/// its first parallel operation, from the process default.</summary>
[Collection(nameof(ProcessThreadDefault))]
public sealed class IntraOpThreadsTests
{
    [Fact]
    public void APinnedCountHoldsWhenAnotherThreadSetsADifferentOneBeforeTheFirstParallelOperation()
    {
        try
        {
            using var pinned = new ManualResetEventSlim();
            using var otherSet = new ManualResetEventSlim();
            int seen = 0, seenAfterMoreWork = 0;
            var render = new Thread(() =>
            {
                IntraOpThreads.PinCurrentThread(1);
                pinned.Set();
                otherSet.Wait();
                using (var a = torch.randn(256, 256)) using (var b = a.matmul(a)) { }
                seen = IntraOpThreads.OfCurrentThread;
                using (var a = torch.randn(64, 64, 64)) using (var s = a.sum()) { }
                seenAfterMoreWork = IntraOpThreads.OfCurrentThread;
            });
            render.Start();
            pinned.Wait();
            Assert.Equal(2, OnNewThread(() =>
            {
                torch.set_num_threads(2); // anything else in the process: libtorch's own call, not the engine's
                return torch.get_num_threads();
            }));
            otherSet.Set();
            render.Join();
            Assert.Equal(1, seen);
            Assert.Equal(1, seenAfterMoreWork);
        }
        finally
        {
            OnNewThread(() => { IntraOpThreads.PinCurrentThread(TorchTestSettings.Threads); return 0; });
        }
    }

    [Fact]
    public void AThreadThatPinnedNothingTakesTheCountPinnedLastAnywhereInTheProcess()
    {
        try
        {
            OnNewThread(() => { IntraOpThreads.PinCurrentThread(3); return 0; });
            Assert.Equal(3, OnNewThread(() => IntraOpThreads.OfCurrentThread));
            OnNewThread(() => { IntraOpThreads.PinCurrentThread(2); return 0; });
            Assert.Equal(2, OnNewThread(() => IntraOpThreads.OfCurrentThread));
        }
        finally
        {
            OnNewThread(() => { IntraOpThreads.PinCurrentThread(TorchTestSettings.Threads); return 0; });
        }
    }

    [Fact]
    public void ACountBelowOneIsRefused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => IntraOpThreads.PinCurrentThread(0));
        Assert.Equal("threads", ex.ParamName);
    }

    private static T OnNewThread<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("The work on the new thread failed.", failure);
        return result;
    }
}
