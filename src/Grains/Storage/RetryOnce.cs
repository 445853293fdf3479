using Polly;
using Polly.Retry;

namespace HiStream.Grains.Storage;

/// <summary>Keeps each failure retried at one level only. A retry layer built with <see cref="AddRetryOnce"/> marks
/// a failure it handles and gave up on (in <see cref="Exception.Data"/>, which Orleans' exception codec carries across
/// grain calls), and no such layer retries a marked failure again: an outer layer around an inner one sees the inner
/// layer's verdict instead of multiplying its attempts.</summary>
public static class RetryOnce
{
    private const string GivenUpKey = "histream.retry-given-up";

    /// <summary>Adds a retry of the failures <paramref name="shouldRetry"/> accepts, unless a lower layer already gave up on them.</summary>
    public static ResiliencePipelineBuilder AddRetryOnce(this ResiliencePipelineBuilder builder, RetryStrategyOptions options, Func<Exception, bool> shouldRetry)
    {
        options.ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => shouldRetry(ex) && !WasGivenUp(ex));
        return builder
            .AddStrategy(_ => new MarkGivenUpStrategy(shouldRetry), new MarkGivenUpOptions())
            .AddRetry(options);
    }

    /// <summary>A retry layer handled this failure (or the failure it wraps) and gave up on it.</summary>
    public static bool WasGivenUp(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e.Data.Contains(GivenUpKey)) return true;
        return false;
    }

    private static void MarkGivenUp(Exception ex) => ex.Data[GivenUpKey] = true;

    private sealed class MarkGivenUpOptions : ResilienceStrategyOptions
    {
    }

    /// <summary>Outside the retry: sees only the failure the retry ended with.</summary>
    private sealed class MarkGivenUpStrategy(Func<Exception, bool> shouldRetry) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
            ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            if (outcome.Exception is { } ex && !context.CancellationToken.IsCancellationRequested && shouldRetry(ex)) MarkGivenUp(ex);
            return outcome;
        }
    }
}
