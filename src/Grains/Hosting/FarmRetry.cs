using HiStream.Grains.Storage;
using Orleans.Runtime;
using Orleans.Storage;
using Polly;
using Polly.Retry;

namespace HiStream.Grains.Hosting;

/// <summary>Polly retry around the calls a render must survive: grain-state writes (storage brownout), reports to
/// the job grain and queue calls (a silo died and its grains are reactivating elsewhere). Transient means a storage
/// fault (<see cref="BlobRetry.IsTransient"/>) or an unreachable or timed-out grain; a stale ETag or a bad argument
/// is an answer and is not retried. With the defaults the attempts span about 30 s.</summary>
public sealed class FarmRetry
{
    public FarmRetry(FarmOptions options) : this(options, IsTransient)
    {
    }

    /// <param name="shouldRetry">Which failures to try again (an idempotent call may also retry a stale ETag: the grain
    /// that threw it has deactivated, and the next attempt reaches a fresh activation).</param>
    public FarmRetry(FarmOptions options, Func<Exception, bool> shouldRetry)
    {
        var builder = new ResiliencePipelineBuilder();
        // One attempt (or fewer) means no retry: Polly's retry strategy refuses zero retries.
        if (options.RetryAttempts > 1)
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.RetryAttempts - 1,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = options.RetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle(shouldRetry),
            });
        Pipeline = builder.Build();
    }

    public ResiliencePipeline Pipeline { get; }

    public ValueTask ExecuteAsync(Func<Task> action) => Pipeline.ExecuteAsync(async _ => await action());

    public ValueTask<T> ExecuteAsync<T>(Func<Task<T>> action) => Pipeline.ExecuteAsync(async _ => await action());

    /// <summary>Transient, or a stale ETag (<see cref="InconsistentStateException"/>), for idempotent calls.</summary>
    public static bool IsTransientOrStale(Exception ex) => ex is InconsistentStateException || ex is OrleansException { InnerException: InconsistentStateException } || IsTransient(ex);

    public static bool IsTransient(Exception ex) => ex switch
    {
        InconsistentStateException => false,
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or Orleans.Runtime.Messaging.ConnectionFailedException => true,
        OrleansException { InnerException: { } inner } => IsTransient(inner),
        _ => BlobRetry.IsTransient(ex) || ex.InnerException is { } inner && BlobRetry.IsTransient(inner),
    };
}
