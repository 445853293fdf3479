using HiStream.Abstractions.Rendering;
using HiStream.Grains.Hosting;

namespace HiStream.Grains.Rendering;

/// <summary>Fault injection for tests and drills (<c>Farm:FaultInjection</c>, off by default): wraps the real engine
/// so that every chunk fails (<see cref="FaultInjectionOptions.DeviceFails"/>), every chunk's device call hangs
/// (<see cref="FaultInjectionOptions.DeviceHangs"/>) or takes at least <see cref="FaultInjectionOptions.ChunkDelay"/>,
/// as a broken, wedged or slow GPU would.</summary>
public sealed class FaultInjectingRenderEngine(IRenderEngine inner, FaultInjectionOptions faults) : IRenderEngine
{
    public Task<EngineInfo> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

    public async Task<IRenderSession> OpenAsync(RenderSettings settings, IReadOnlyList<ChunkLatents> finishedChunks, CancellationToken cancellationToken) =>
        new Session(await inner.OpenAsync(settings, finishedChunks, cancellationToken), faults);

    private sealed class Session(IRenderSession inner, FaultInjectionOptions faults) : IRenderSession
    {
        public int ChunkCount => inner.ChunkCount;

        public async Task<RenderedChunk?> NextAsync(CancellationToken cancellationToken)
        {
            if (faults.DeviceFails) throw new InvalidOperationException("Fault injection (Farm:FaultInjection:DeviceFails): the device failed this chunk.");
            if (faults.DeviceHangs) await Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None); // a wedged device ignores cancellation
            if (faults.ChunkDelay > TimeSpan.Zero) await Task.Delay(faults.ChunkDelay, cancellationToken);
            return await inner.NextAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
