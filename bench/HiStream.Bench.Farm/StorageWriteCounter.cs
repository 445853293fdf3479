using System.Diagnostics.Metrics;

namespace HiStream.Bench.Farm;

/// <summary>Counts grain-state writes through Orleans' own storage instruments (meter <c>Microsoft.Orleans</c>), so the
/// count does not depend on which storage provider is configured.</summary>
public sealed class StorageWriteCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _writes;

    public StorageWriteCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.Orleans" && instrument.Name.Contains("storage", StringComparison.OrdinalIgnoreCase)
                && instrument.Name.Contains("write", StringComparison.OrdinalIgnoreCase) && !instrument.Name.Contains("error", StringComparison.OrdinalIgnoreCase))
            {
                Instruments.Add(instrument.Name);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _writes));
        _listener.SetMeasurementEventCallback<float>((_, _, _, _) => Interlocked.Increment(ref _writes));
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _writes));
        _listener.SetMeasurementEventCallback<int>((_, _, _, _) => Interlocked.Increment(ref _writes));
        _listener.Start();
    }

    public HashSet<string> Instruments { get; } = [];
    public long Writes => Interlocked.Read(ref _writes);

    public void Dispose() => _listener.Dispose();
}
