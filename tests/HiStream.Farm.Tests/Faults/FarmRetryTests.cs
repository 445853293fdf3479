using Azure;
using HiStream.Grains.Hosting;

namespace HiStream.Farm.Tests.Faults;

/// <summary><c>Farm:RetryAttempts</c> counts attempts, the first included: 1 means a transient fault is not retried.</summary>
public sealed class FarmRetryTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    public async Task ATransientFaultIsTriedRetryAttemptsTimes(int attempts, int expectedCalls)
    {
        var retry = new FarmRetry(new FarmOptions { RetryAttempts = attempts, RetryMaxDelay = TimeSpan.FromMilliseconds(1) });
        int calls = 0;

        await Assert.ThrowsAsync<RequestFailedException>(async () => await retry.ExecuteAsync(() =>
        {
            calls++;
            return Task.FromException(new RequestFailedException(503, "injected: server busy"));
        }));

        Assert.Equal(expectedCalls, calls);
    }
}
