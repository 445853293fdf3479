using HiStream.Abstractions.Jobs;

namespace HiStream.Grains.Jobs;

/// <summary>The last N progress events of a job, in memory, with waiters for long polls. Not persisted: after a
/// failover, watchers continue from the new events.</summary>
public sealed class ProgressLog
{
    private readonly ProgressEvent[] _ring;
    private long _nextSequence = 1;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProgressLog(int capacity) => _ring = new ProgressEvent[capacity];

    public long LastSequence => _nextSequence - 1;

    public ProgressEvent Append(Func<long, ProgressEvent> create)
    {
        var e = create(_nextSequence);
        _ring[_nextSequence % _ring.Length] = e;
        _nextSequence++;
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
        return e;
    }

    /// <summary>Events after <paramref name="afterSequence"/>; the oldest ones may have been overwritten.</summary>
    public ProgressEvent[] After(long afterSequence, int max)
    {
        long first = Math.Max(afterSequence + 1, Math.Max(1, _nextSequence - _ring.Length));
        long last = Math.Min(_nextSequence - 1, first + max - 1);
        var result = new ProgressEvent[Math.Max(0, last - first + 1)];
        for (long s = first; s <= last; s++) result[s - first] = _ring[s % _ring.Length];
        return result;
    }

    /// <summary>Completes when an event is appended or the timeout passes, whichever is first.</summary>
    public Task WaitAsync(TimeSpan timeout) => Task.WhenAny(_changed.Task, Task.Delay(timeout));
}
