namespace HiStream.Grains.Videos;

/// <summary>Stores a rendered chunk while the device renders the next one: at most one store is in flight, and a
/// store starts only after the one before it finished, so the video's state writes never overlap and chunks are
/// recorded in order. A failed store surfaces at the next <see cref="StartAsync"/> or <see cref="FlushAsync"/>.</summary>
public sealed class ChunkWriteBehind
{
    private Task _inFlight = Task.CompletedTask;

    /// <summary>Waits for the store before it (rethrowing its failure), then starts <paramref name="store"/> and
    /// returns without waiting for it.</summary>
    public async Task StartAsync(Func<Task> store)
    {
        await FlushAsync();
        _inFlight = store();
    }

    /// <summary>Waits for the store in flight; its failure is rethrown once.</summary>
    public async Task FlushAsync()
    {
        var inFlight = _inFlight;
        _inFlight = Task.CompletedTask;
        await inFlight;
    }
}
