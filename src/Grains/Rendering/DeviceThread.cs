using System.Collections.Concurrent;

namespace HiStream.Grains.Rendering;

/// <summary>One dedicated thread per device: every tensor operation of the silo runs here, in order, so grain turns
/// never block and the device sees one stream of work (chunks of concurrent videos interleave).</summary>
public sealed class DeviceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public DeviceThread(string name, Action? initialize = null)
    {
        _thread = new Thread(() =>
        {
            initialize?.Invoke();
            foreach (var item in _work.GetConsumingEnumerable()) item();
        })
        {
            IsBackground = true,
            Name = name,
        };
        _thread.Start();
    }

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.IsCancellationRequested)
        {
            done.SetCanceled(cancellationToken);
            return done.Task;
        }
        _work.Add(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                done.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                done.TrySetResult(work());
            }
            catch (OperationCanceledException oce)
            {
                done.TrySetCanceled(oce.CancellationToken);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        });
        return done.Task;
    }

    public Task RunAsync(Action work, CancellationToken cancellationToken = default) =>
        RunAsync(() => { work(); return true; }, cancellationToken);

    public void Dispose()
    {
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(30));
    }
}
