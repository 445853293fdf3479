using HiStream.Abstractions.Rendering;
using HiStream.Grains.Hosting;
using HiStream.Grains.Rendering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Workers;

/// <summary>Sizes the silo once the model is loaded: device memory left after the model and the reserve becomes the
/// slots' capacity, and the slot count is either configured or what fits at the reference size (832x480x81).</summary>
public sealed class SlotPlanner
{
    private readonly IRenderCostModel _cost;
    private readonly RenderSlots _slots;
    private readonly FarmOptions _options;
    private readonly Telemetry.FarmMetrics _metrics;
    private readonly ILogger<SlotPlanner> _logger;

    public SlotPlanner(IRenderCostModel cost, RenderSlots slots, IOptions<FarmOptions> options, Telemetry.FarmMetrics metrics, ILogger<SlotPlanner> logger)
    {
        _cost = cost;
        _slots = slots;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public void Plan(EngineInfo info, string siloName)
    {
        var capacity = (long)((info.DeviceMemoryBytes - info.ModelBytes) * (1 - _options.ReserveFraction));
        _slots.SetCapacity(capacity);
        long reference = _cost.EstimateVideoBytes(new RenderFootprint(832, 480, 21, "self-forcing"));
        int slots = _options.Slots ?? (int)Math.Max(0, capacity / Math.Max(1, reference));
        _metrics.SlotsTotal = slots;
        _logger.LogInformation("Silo {Silo} renders: {Slots} slots ({Mode}; device {Device} {Memory:F1} GiB, model {Model:F2} GiB, {PerVideo:F2} GiB per 832x480x81 video)",
            siloName, slots, _options.Slots is null ? "from device memory" : "configured", info.Device, info.DeviceMemoryBytes / (double)(1L << 30),
            info.ModelBytes / (double)(1L << 30), reference / (double)(1L << 30));
    }
}
