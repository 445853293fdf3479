using HiStream.Grains.Videos;

namespace HiStream.Farm.Tests.Videos;

/// <summary>The video's render loop hands each chunk's store to <see cref="ChunkWriteBehind"/> and goes on rendering:
/// a store must not wait for itself, must never overlap the one before it, and its failure must reach the loop.</summary>
public sealed class ChunkWriteBehindTests
{
    [Fact]
    public async Task AStoreRunsWhileTheCallerGoesOnAndTheNextStoreWaitsForIt()
    {
        var writes = new ChunkWriteBehind();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new List<int>();

        await writes.StartAsync(() => { started.Add(0); return first.Task; });
        Assert.Equal([0], started); // returned while chunk 0 is still being stored

        var second = writes.StartAsync(() => { started.Add(1); return Task.CompletedTask; });
        await Task.Yield();
        Assert.False(second.IsCompleted);
        Assert.Equal([0], started); // chunk 1's store waits for chunk 0's

        first.SetResult();
        await second;
        await writes.FlushAsync();
        Assert.Equal([0, 1], started);
    }

    [Fact]
    public async Task AFailedStoreSurfacesAtTheNextStartOnceAndTheStoreAfterItDoesNotRun()
    {
        var writes = new ChunkWriteBehind();
        var ran = false;
        await writes.StartAsync(() => Task.FromException(new InvalidOperationException("storage refused chunk 0")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writes.StartAsync(() => { ran = true; return Task.CompletedTask; }));

        Assert.Equal("storage refused chunk 0", error.Message);
        Assert.False(ran);
        await writes.FlushAsync(); // reported once: a cleanup flush after the failure does not throw it again
    }

    [Fact]
    public async Task FlushWaitsForTheStoreInFlight()
    {
        var writes = new ChunkWriteBehind();
        var store = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await writes.StartAsync(() => store.Task);

        var flush = writes.FlushAsync();
        await Task.Yield();
        Assert.False(flush.IsCompleted);
        store.SetResult();
        await flush;
    }
}
