using HiStream.Abstractions.Queue;

namespace HiStream.Grains.Queue;

/// <summary>One rendering video's hold on its lease. The video renews it on progress (<see cref="Renew"/>: after
/// opening and after each chunk) and, while a device call runs, every <see cref="LeaseRenewals.HeartbeatPeriod"/>
/// (<see cref="HoldDuringAsync{T}"/>): a chunk slower than the lease but within the watchdog keeps it, and a hung call
/// keeps it only until the watchdog fails the video. Renewals are never awaited by the render; one answering "unknown
/// lease" marks the lease lost for good (<see cref="IsLost"/>), and the video stops at its next chunk boundary.</summary>
public sealed class LeaseKeeper(LeaseRenewals renewals, WorkLease lease, TimeSpan heartbeat, TimeProvider time)
{
    private volatile bool _lost;

    /// <summary>True once the partition answered that it no longer knows the lease (it expired and the item went back).</summary>
    public bool IsLost => _lost;

    public void Renew()
    {
        if (!_lost) _ = RenewAsync();
    }

    /// <summary>Awaits <paramref name="call"/> and renews the lease on a heartbeat until it ends, however it ends.</summary>
    public async Task<T> HoldDuringAsync<T>(Task<T> call)
    {
        using var ended = new CancellationTokenSource();
        var beating = BeatAsync(ended.Token);
        try
        {
            return await call;
        }
        finally
        {
            await ended.CancelAsync();
            await beating;
        }
    }

    private async Task BeatAsync(CancellationToken ended)
    {
        using var timer = new PeriodicTimer(heartbeat, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ended)) Renew();
        }
        catch (OperationCanceledException)
        {
            // the call ended
        }
    }

    private async Task RenewAsync()
    {
        if (!await renewals.Renew(lease)) _lost = true;
    }
}
