using HiStream.Abstractions.Jobs;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace HiStream.Grains.Jobs;

/// <summary>Puts a job's progress events into its in-memory <see cref="ProgressLog"/> and, in the background, into its
/// <see cref="ProgressJournal"/> (group commit: whatever accumulated while one append was in flight goes in the
/// next). Runs on the job grain's scheduler, so it needs no locks. An event becomes readable once it is stored, and
/// only then: an id a watcher has seen is in the journal, so the next activation (which continues after the journal's
/// last id) never hands it out again. Events whose append failed stay pending, unseen, and go with the next append
/// (the next event, flush or watcher's read); the ones still pending when the grain deactivates are lost unseen.</summary>
public sealed class JobEventWriter
{
    private const int MaxBatch = 1000;
    /// <summary>Unstored events kept through a storage outage; beyond it the oldest are dropped, unseen. Above the
    /// log's capacity, so a dropped event is never served from memory either.</summary>
    private readonly int _maxPending;
    private readonly ProgressLog _log;
    private readonly ProgressJournal _journal;
    private readonly FarmRetry _retry;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProgressEvent> _pending = [];
    private Task _flushing = Task.CompletedTask;

    public JobEventWriter(ProgressLog log, ProgressJournal journal, FarmRetry retry, ILogger logger)
    {
        _log = log;
        _journal = journal;
        _retry = retry;
        _maxPending = Math.Max(20_000, log.Capacity + MaxBatch);
        _logger = logger;
    }

    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        var (last, recent) = await _journal.LoadTailAsync(_log.Capacity, cancellationToken);
        _log.Restore(recent, last);
    }

    public ProgressEvent Append(Func<long, ProgressEvent> create)
    {
        var e = _log.Append(create);
        _pending.Add(e);
        if (_pending.Count > _maxPending) DropOldestPending();
        RetryPending();
        return e;
    }

    /// <summary>Completes when every event appended so far is stored, or when one more try to store them failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_flushing.IsCompleted) await _flushing.WaitAsync(cancellationToken);
        if (_pending.Count == 0) return;
        _flushing = FlushLoopAsync();
        await _flushing.WaitAsync(cancellationToken);
    }

    /// <summary>Tries again to store the events a failed append left pending, unless an append is in flight.</summary>
    public void RetryPending()
    {
        if (_pending.Count > 0 && _flushing.IsCompleted) _flushing = FlushLoopAsync();
    }

    /// <summary>Stored events after <paramref name="afterSequence"/>: from memory, or from the journal when older.</summary>
    public async Task<ProgressEvent[]> ReadAsync(long afterSequence, int max)
    {
        if (afterSequence + 1 < _log.OldestInMemory && afterSequence < _log.DurableSequence)
            return await _journal.ReadAsync(afterSequence, _log.DurableSequence, max);
        return _log.After(afterSequence, max);
    }

    /// <summary>Stops the retries of the append in flight (the grain deactivates).</summary>
    public void Stop() => _stop.Cancel();

    private async Task FlushLoopAsync()
    {
        while (_pending.Count > 0)
        {
            var batch = _pending.Take(MaxBatch).ToArray();
            try
            {
                await _retry.ExecuteAsync(ct => _journal.AppendAsync(batch, ct), _stop.Token);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Progress events {First}..{Last} not stored; they stay unseen and go with the next append", batch[0].Sequence, batch[^1].Sequence);
                return;
            }
            long stored = batch[^1].Sequence;
            _pending.RemoveAll(e => e.Sequence <= stored); // by sequence: DropOldestPending may have run meanwhile
            _log.MarkDurable(stored);
        }
    }

    private void DropOldestPending()
    {
        int drop = _pending.Count - _maxPending;
        _logger.LogError("Progress events {First}..{Last} dropped unseen: storage has refused appends for too long", _pending[0].Sequence, _pending[drop - 1].Sequence);
        _pending.RemoveRange(0, drop);
    }
}
