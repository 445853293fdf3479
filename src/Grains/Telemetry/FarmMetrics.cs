using System.Diagnostics.Metrics;

namespace HiStream.Grains.Telemetry;

/// <summary>The farm's own instruments (meter <c>HiStream.Farm</c>). Tags stay low-cardinality: silo and outcome,
/// never a job or video id.</summary>
public sealed class FarmMetrics
{
    public const string MeterName = "HiStream.Farm";

    private readonly Counter<long> _chunks;
    private readonly Histogram<double> _chunkSeconds;
    private readonly Counter<long> _videos;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _frames;
    private readonly Counter<double> _gpuSeconds;
    private KeyValuePair<string, object?> _silo = new("silo", "");

    public FarmMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _chunks = meter.CreateCounter<long>("histream.chunks.rendered", "{chunk}", "Chunks rendered");
        _chunkSeconds = meter.CreateHistogram<double>("histream.chunk.duration", "s", "Seconds per chunk (denoise, cache update, decode, upload)");
        _videos = meter.CreateCounter<long>("histream.videos.ended", "{video}", "Videos that ended, by outcome");
        _bytes = meter.CreateCounter<long>("histream.blob.bytes.written", "By", "Bytes written to the result store");
        _frames = meter.CreateCounter<long>("histream.frames.rendered", "{frame}", "Pixel frames decoded");
        _gpuSeconds = meter.CreateCounter<double>("histream.gpu.seconds", "s", "Device seconds of completed videos (denoise, cache update, decode)");
        meter.CreateObservableGauge("histream.slots.busy", () => new Measurement<int>(SlotsBusy, _silo), "{video}", "Videos rendering on this silo");
        meter.CreateObservableGauge("histream.slots.total", () => new Measurement<int>(SlotsTotal, _silo), "{video}", "Videos this silo can render at once (at the reference size)");
        meter.CreateObservableGauge("histream.queue.depth", () => new Measurement<long>(QueueDepth, _silo), "{video}", "Queued videos, as last seen by this silo");
        meter.CreateObservableGauge("histream.device.reserved", () => new Measurement<long>(ReservedBytes, _silo), "By", "Device memory reserved by running videos");
    }

    public int SlotsBusy { get; set; }
    public int SlotsTotal { get; set; }
    public long QueueDepth { get; set; }
    public long ReservedBytes { get; set; }

    public void SetSilo(string silo) => _silo = new("silo", silo);

    public void ChunkRendered(double seconds, int frames)
    {
        _chunks.Add(1, _silo);
        _chunkSeconds.Record(seconds, _silo);
        if (frames > 0) _frames.Add(frames, _silo);
    }

    public void VideoEnded(string outcome) => _videos.Add(1, _silo, new("outcome", outcome));

    public void BytesWritten(long bytes) => _bytes.Add(bytes, _silo);

    public void GpuSecondsUsed(double seconds, string? tenant) => _gpuSeconds.Add(seconds, _silo, new("tenant", tenant ?? ""));
}
