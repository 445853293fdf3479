using HiStream.Grains.Storage;
using Orleans.Runtime;
using Orleans.Storage;
using Polly;
using Polly.Retry;

namespace HiStream.Grains.Hosting;

/// <summary>Polly retry around the calls a render must survive: grain-state writes (storage brownout), reports to
/// the job grain and queue calls (a silo died and its grains are reactivating elsewhere). Transient means a storage
/// fault (<see cref="BlobRetry.IsTransient"/>) or an unreachable or timed-out grain; a stale ETag or a bad argument
/// is an answer and is not retried. With the defaults the attempts span about 30 s.
/// <para>Which layer retries what (each failure at one level only, see <see cref="RetryOnce"/>):
/// storage faults are retried where the call meets storage, by <see cref="AzureBlobStore"/> (<see cref="BlobRetry"/>)
/// for blobs and by the silo's grain-storage retry (<c>RetryingGrainStorage</c>, the Azure SDK's own retries off) for
/// grain state; this class retries grain calls that did not arrive (silo gone, timeout) and storage faults that no
/// lower layer retried (a store without retries of its own). A failure a lower layer gave up on is marked and not
/// retried here again, nor by a caller's retry around a grain method that uses this class. The job's progress
/// journal, lease ends and dead-silo releases use this class too; the local folder store's append waits for a file
/// lock with its own pipeline (see there).</para></summary>
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
            builder.AddRetryOnce(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.RetryAttempts - 1,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = options.RetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            }, shouldRetry);
        Pipeline = builder.Build();
    }

    public ResiliencePipeline Pipeline { get; }

    /// <param name="cancellationToken">Stops the retries: no attempt starts and no backoff waits once it is cancelled.</param>
    public ValueTask ExecuteAsync(Func<Task> action, CancellationToken cancellationToken = default) =>
        Pipeline.ExecuteAsync(async _ => await action(), cancellationToken);

    public ValueTask<T> ExecuteAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken = default) =>
        Pipeline.ExecuteAsync(async _ => await action(), cancellationToken);

    /// <summary>As above, and the action gets the token too.</summary>
    public ValueTask ExecuteAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken) =>
        Pipeline.ExecuteAsync(async ct => await action(ct), cancellationToken);

    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        Pipeline.ExecuteAsync(async ct => await action(ct), cancellationToken);

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
