using HiStream.Abstractions.Jobs;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace HiStream.Grains.Jobs;

/// <summary>Puts a job's progress events into its in-memory <see cref="ProgressLog"/> and, in the background, into its
/// <see cref="ProgressJournal"/> (group commit: whatever accumulated while one append was in flight goes in the
/// next). Runs on the job grain's scheduler, so it needs no locks. An event becomes readable once it is stored.</summary>
public sealed class JobEventWriter
{
    private const int MaxBatch = 1000;
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
        if (_flushing.IsCompleted) _flushing = FlushLoopAsync();
        return e;
    }

    /// <summary>Completes when every event appended so far is stored (or storing it failed and was logged).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_pending.Count > 0 || !_flushing.IsCompleted)
        {
            if (_flushing.IsCompleted) _flushing = FlushLoopAsync();
            await _flushing.WaitAsync(cancellationToken);
        }
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
                _logger.LogError(ex, "Progress events {First}..{Last} could not be stored; watchers will not see them", batch[0].Sequence, batch[^1].Sequence);
                _pending.RemoveRange(0, batch.Length);
                _log.MarkDurable(batch[^1].Sequence);
                return;
            }
            _pending.RemoveRange(0, batch.Length);
            _log.MarkDurable(batch[^1].Sequence);
        }
    }
}
