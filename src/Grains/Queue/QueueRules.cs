namespace HiStream.Grains.Queue;

/// <summary>The timing rules a partition applies (from <c>FarmOptions</c>).</summary>
public sealed record QueueRules(TimeSpan LeaseDuration, int MaxAttempts, TimeSpan RetryBackoff, TimeSpan RetryBackoffMax)
{
    /// <summary>Wait before attempt <paramref name="nextAttempt"/> (2, 3, …): backoff × 2^(n−2), capped.</summary>
    public TimeSpan BackoffBefore(int nextAttempt)
    {
        double factor = Math.Pow(2, Math.Clamp(nextAttempt - 2, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(RetryBackoff.Ticks * factor, RetryBackoffMax.Ticks));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }
}

/// <summary>An item the partition ended for good without its video saying so (lease expired on the last attempt,
/// or the job was dropped while the item was out): the job is told, and counts it unless it already has.</summary>
public sealed record QueueReport(string JobId, int Generation, int ItemIndex, int Attempt, bool Cancelled, string Message);
