namespace HiStream.Grains.Workers;

/// <summary>Where a failed render attempt failed, as the silo's breaker sees it (<see cref="SiloHealth"/>): only a
/// failure of the device says that this silo is broken.</summary>
public enum RenderFailure
{
    /// <summary>A device call failed: loading the engine, opening the session or rendering a chunk threw, or the call
    /// outlived the watchdog.</summary>
    Device = 0,

    /// <summary>Something around the device failed after its retries: result storage, grain state, reports to the
    /// job, queue calls. Every silo meets the same brownout, so it says nothing about this one.</summary>
    Infrastructure = 1,
}
