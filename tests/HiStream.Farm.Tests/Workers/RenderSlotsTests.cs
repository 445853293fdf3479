using HiStream.Abstractions.Queue;
using HiStream.Grains.Hosting;
using HiStream.Grains.Telemetry;
using HiStream.Grains.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HiStream.Farm.Tests.Workers;

/// <summary>A video that has rendered its last chunk gives its slot and device memory to the next video while it
/// writes its final files; its lease stays held here until it ends, so a drain still waits for it.</summary>
public sealed class RenderSlotsTests
{
    private static RenderSlots Slots(int? slots)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new RenderSlots(Options.Create(new FarmOptions { Slots = slots }), new FarmMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
    }

    private static WorkLease Lease(string id, long bytes = 0) => new(id, "job", 0, 0, bytes);

    [Fact]
    public void AFinishingVideoFreesItsSlotButKeepsItsLeaseUntilItEnds()
    {
        var slots = Slots(1);
        slots.Reserve(Lease("a"));
        Assert.Equal(0, slots.Budget("silo").MaxVideos);

        Assert.True(slots.DeviceFreed("a"));

        Assert.Equal(1, slots.Budget("silo").MaxVideos); // the next video may start
        Assert.Equal(0, slots.Busy);
        Assert.Equal(1, slots.Held); // a drain waits for the finish
        Assert.Equal(0, slots.SuspendAll()); // nothing left to checkpoint: its chunks are all stored
        Assert.False(slots.DeviceFreed("a"));

        slots.Reserve(Lease("b"));
        Assert.True(slots.Release("a"));
        Assert.Equal((1, 1), (slots.Busy, slots.Held)); // ending the finished one leaves the new one's slot alone
        Assert.Equal(0, slots.Budget("silo").MaxVideos);
        Assert.False(slots.Release("a"));
    }

    [Fact]
    public void AFinishingVideoGivesBackItsDeviceMemoryOnce()
    {
        var slots = Slots(null);
        slots.SetCapacity(100);
        slots.Reserve(Lease("a", 60));
        Assert.Equal(40, slots.Budget("silo").FreeBytes);

        slots.DeviceFreed("a");
        Assert.Equal(100, slots.Budget("silo").FreeBytes);

        slots.Release("a");
        Assert.Equal(100, slots.Budget("silo").FreeBytes); // not given back twice
        Assert.Equal(0, slots.Held);
    }
}
