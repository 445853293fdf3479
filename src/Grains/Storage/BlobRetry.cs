using System.Net.Sockets;
using Azure;
using Polly;
using Polly.Retry;

namespace HiStream.Grains.Storage;

/// <summary>Polly retry for transient storage errors: timeouts, throttling, server errors, dropped connections.
/// Conflicts, precondition failures and missing blobs are answers, not faults, and are never retried.</summary>
public static class BlobRetry
{
    /// <summary>Exponential backoff from <paramref name="baseDelay"/>, each wait at most 5 s: 8 attempts from 200 ms
    /// span about 16 s, enough to ride out a storage restart.
    /// A failure it gives up on is marked, so the callers' retries do not repeat it (<see cref="RetryOnce"/>).</summary>
    public static ResiliencePipeline Create(int maxAttempts, TimeSpan baseDelay, Func<Exception, bool>? shouldRetry = null) =>
        new ResiliencePipelineBuilder()
            .AddRetryOnce(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, maxAttempts - 1),
                Delay = baseDelay,
                MaxDelay = TimeSpan.FromSeconds(5),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            }, shouldRetry ?? IsTransient)
            .Build();

    public static bool IsTransient(Exception ex) => ex switch
    {
        RequestFailedException rfe => rfe.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        HttpRequestException or SocketException or TimeoutException => true,
        IOException io when io.InnerException is SocketException => true,
        _ => false,
    };
}
