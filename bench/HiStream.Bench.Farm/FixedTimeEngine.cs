namespace HiStream.Bench.Farm;

/// <summary>The benchmark's stand-in for the model: every chunk takes the same wall time and yields a chunk of
/// latent bytes. It lives here, in the benchmark, so no silo can select it by accident.</summary>
public sealed class FixedTimeEngine(TimeSpan chunkTime, int chunkBytes)
{
    public TimeSpan ChunkTime => chunkTime;

    public async Task<byte[]> RenderChunkAsync(int seed, CancellationToken cancellationToken)
    {
        await Task.Delay(chunkTime, cancellationToken);
        var bytes = new byte[chunkBytes];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
