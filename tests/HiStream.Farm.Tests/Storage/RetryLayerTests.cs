using Azure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Storage;

/// <summary>Each failure is retried at one level only: a farm retry around a storage retry does not multiply its
/// attempts, a fault no lower layer retried is still retried, and a cancelled caller stops retrying.</summary>
public sealed class RetryLayerTests
{
    private static readonly FarmOptions Farm = new() { RetryAttempts = 4, RetryMaxDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task AFarmRetryAroundAStorageRetryDoesNotRepeatWhatTheStorageGaveUpOn()
    {
        int attempts = 0;
        var storage = BlobRetry.Create(3, TimeSpan.FromMilliseconds(1));
        var farm = new FarmRetry(Farm);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(async () => await farm.ExecuteAsync(async ct =>
            await storage.ExecuteAsync(_ =>
            {
                attempts++;
                throw new RequestFailedException(503, "injected: server busy");
            }, ct), CancellationToken.None));

        Assert.Equal(3, attempts); // the storage layer's attempts, not 3 x 4
        Assert.True(RetryOnce.WasGivenUp(ex));
    }

    [Fact]
    public async Task AFaultNoLowerLayerRetriedIsRetriedByTheFarmRetry()
    {
        int attempts = 0;
        var farm = new FarmRetry(Farm);

        await farm.ExecuteAsync(() =>
        {
            attempts++;
            return attempts < 3 ? Task.FromException(new RequestFailedException(503, "injected: server busy")) : Task.CompletedTask;
        });

        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task AnAnswerIsNeitherRetriedNorMarked()
    {
        int attempts = 0;
        var farm = new FarmRetry(Farm);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(async () => await farm.ExecuteAsync(() =>
        {
            attempts++;
            return Task.FromException(new RequestFailedException(409, "injected: conflict"));
        }));

        Assert.Equal(1, attempts);
        Assert.False(RetryOnce.WasGivenUp(ex)); // an outer layer that does retry conflicts may still try it
    }

    [Fact]
    public async Task ACancelledCallerStopsRetryingInsteadOfWaitingOutItsBackoff()
    {
        int attempts = 0;
        using var stop = new CancellationTokenSource();
        var farm = new FarmRetry(new FarmOptions { RetryAttempts = 10, RetryMaxDelay = TimeSpan.FromMinutes(10) });

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await farm.ExecuteAsync(_ =>
        {
            attempts++;
            stop.Cancel(); // the caller is drained while its first attempt fails
            return Task.FromException(new TimeoutException("injected: grain call timed out"));
        }, stop.Token));

        Assert.Equal(1, attempts);
        Assert.True(ex is TimeoutException or OperationCanceledException, ex.ToString());
    }
}
