using HiStream.Abstractions.Tenants;

namespace HiStream.Gateway.Security;

/// <summary>A tenant's submit turn while one submission runs (<see cref="TenantQuotaChecker"/>): renewed every third of
/// its hold, given back when disposed.</summary>
public sealed class SubmitTurn : IAsyncDisposable
{
    private readonly ITenantGrain _tenant;
    private readonly string _ticket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewals;

    public SubmitTurn(ITenantGrain tenant, string ticket, TimeSpan hold, TimeProvider time)
    {
        _tenant = tenant;
        _ticket = ticket;
        _renewals = RenewAsync(hold, time);
    }

    /// <summary>What the submission may add, counted in this turn.</summary>
    public ItemBudget? Budget { get; set; }

    private async Task RenewAsync(TimeSpan hold, TimeProvider time)
    {
        using var timer = new PeriodicTimer(hold / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) await _tenant.TryEnterSubmitAsync(_ticket, hold);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
            // A lost renewal only shortens the turn: the next submission may then start early, as after a gateway crash.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewals;
        _stop.Dispose();
        try
        {
            await _tenant.LeaveSubmitAsync(_ticket);
        }
        catch (Exception)
        {
            // The turn ends with its hold.
        }
    }
}
