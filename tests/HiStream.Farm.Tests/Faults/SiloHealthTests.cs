using HiStream.Grains.Hosting;
using HiStream.Grains.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace HiStream.Farm.Tests.Faults;

/// <summary>The breaker's states on a clock the test moves: open after K failures in a row, half-open after the
/// cooldown (one trial failure opens it again, a success closes it), and a hung device call never half-opens.</summary>
public sealed class SiloHealthTests
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromMinutes(5);

    private static (SiloHealth Health, FakeTimeProvider Clock) NewHealth()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Microsoft.Extensions.Options.Options.Create(new FarmOptions { FailureBreakerThreshold = 3, BreakerCooldown = Cooldown });
        return (new SiloHealth(options, NullLogger<SiloHealth>.Instance, clock), clock);
    }

    [Fact]
    public void AfterItsCooldownTheBreakerLetsWorkThroughOnTrialAndASuccessClosesIt()
    {
        var (health, clock) = NewHealth();
        for (int i = 0; i < 3; i++) health.VideoFailed("device error");
        Assert.False(health.IsHealthy);
        Assert.Contains("3 videos failed in a row", health.Reason);

        clock.Advance(Cooldown - TimeSpan.FromSeconds(1));
        Assert.False(health.IsHealthy);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(health.IsHealthy);
        Assert.True(health.IsHalfOpen);

        health.VideoCompleted();
        Assert.True(health.IsHealthy);
        Assert.False(health.IsHalfOpen);
        Assert.Null(health.Reason);
        health.VideoFailed("one more");
        Assert.True(health.IsHealthy); // closed: the count starts again from zero
    }

    [Fact]
    public void OneFailureOnTrialOpensTheBreakerForAnotherCooldown()
    {
        var (health, clock) = NewHealth();
        for (int i = 0; i < 3; i++) health.VideoFailed("device error");
        clock.Advance(Cooldown);
        Assert.True(health.IsHealthy);

        health.VideoFailed("still broken");

        Assert.False(health.IsHealthy);
        Assert.Contains("on trial", health.Reason);
        clock.Advance(Cooldown);
        Assert.True(health.IsHealthy);
    }

    [Fact]
    public void AHungDeviceCallNeverHalfOpens()
    {
        var (health, clock) = NewHealth();
        health.DeviceCallTimedOut("render chunk");
        clock.Advance(Cooldown * 10);
        Assert.False(health.IsHealthy);
        Assert.True(health.DeviceHung);
        health.VideoCompleted();
        Assert.False(health.IsHealthy);
    }
}
