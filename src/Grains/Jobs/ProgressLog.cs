using HiStream.Abstractions.Jobs;

namespace HiStream.Grains.Jobs;

/// <summary>The last N progress events of a job, in memory, with waiters for long polls. Readers see only events
/// already written to the job's <see cref="ProgressJournal"/> (<see cref="DurableSequence"/>): an event id a watcher
/// has seen is never handed out again after a failover. <see cref="Restore"/> continues the sequence of a previous
/// activation.</summary>
public sealed class ProgressLog
{
    private readonly ProgressEvent[] _ring;
    private long _nextSequence = 1;
    private long _durable;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProgressLog(int capacity) => _ring = new ProgressEvent[capacity];

    public int Capacity => _ring.Length;

    public long LastSequence => _nextSequence - 1;

    /// <summary>Events up to this sequence are in the journal and may be read.</summary>
    public long DurableSequence => _durable;

    /// <summary>The oldest sequence still held in memory (older ones are read from the journal).</summary>
    public long OldestInMemory => Math.Max(1, _nextSequence - _ring.Length);

    public ProgressEvent Append(Func<long, ProgressEvent> create)
    {
        var e = create(_nextSequence);
        _ring[_nextSequence % _ring.Length] = e;
        _nextSequence++;
        return e;
    }

    /// <summary>Continues after a previous activation: the recent events (ascending) and the last sequence used.</summary>
    public void Restore(IReadOnlyList<ProgressEvent> recent, long lastSequence)
    {
        foreach (var e in recent.TakeLast(_ring.Length)) _ring[e.Sequence % _ring.Length] = e;
        _nextSequence = lastSequence + 1;
        _durable = lastSequence;
    }

    public void MarkDurable(long sequence)
    {
        if (sequence <= _durable) return;
        _durable = Math.Min(sequence, LastSequence);
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>Durable events after <paramref name="afterSequence"/> that are still in memory.</summary>
    public ProgressEvent[] After(long afterSequence, int max)
    {
        long first = Math.Max(afterSequence + 1, OldestInMemory);
        long last = Math.Min(_durable, first + max - 1);
        var result = new ProgressEvent[Math.Max(0, last - first + 1)];
        for (long s = first; s <= last; s++) result[s - first] = _ring[s % _ring.Length];
        return result;
    }

    /// <summary>Completes when an event becomes durable or the timeout passes, whichever is first.</summary>
    public Task WaitAsync(TimeSpan timeout) => Task.WhenAny(_changed.Task, Task.Delay(timeout));
}
