namespace HiStream.Engine.Sampling;

/// <summary>
/// Frame-level model of the anchor-guided sliding window (model-spec §2.3/§2.5 with sink = anchor): which latent
/// frames a chunk's queries attend to. It mirrors the KV cache's eviction rule (FIFO over the non-anchor region once
/// a new chunk does not fit), so it serves as the analytic key count and as the expectation in tests.
/// </summary>
public static class HiStreamWindow
{
    /// <summary>Frames in the cache (in buffer order) while chunk <paramref name="chunkIndex"/> runs, its own frames last.</summary>
    /// <param name="windowFrames">Capacity in latent frames, anchor and current chunk included; null = unbounded.</param>
    public static IReadOnlyList<int> FramesSeen(int chunkIndex, int framesPerChunk, int? windowFrames, int anchorFrames)
    {
        if (chunkIndex < 0) throw new ArgumentOutOfRangeException(nameof(chunkIndex));
        var buffer = new List<int>();
        for (int c = 0; c <= chunkIndex; c++)
        {
            int start = c * framesPerChunk;
            if (windowFrames is { } cap && buffer.Count + framesPerChunk > cap)
            {
                int evict = buffer.Count + framesPerChunk - cap;
                buffer.RemoveRange(Math.Min(anchorFrames, buffer.Count), evict);
            }
            for (int f = 0; f < framesPerChunk; f++) buffer.Add(start + f);
        }
        return buffer;
    }

    /// <summary>Number of frames attended by a chunk starting at <paramref name="startFrame"/> (chunk-aligned eviction).</summary>
    public static int FramesAttended(int startFrame, int chunkFrames, int? windowFrames) =>
        windowFrames is { } cap ? Math.Min(startFrame + chunkFrames, cap) : startFrame + chunkFrames;
}
