namespace HiStream.Abstractions.Videos;

[GenerateSerializer, Immutable, Alias("histream.VideoStatus")]
public sealed record VideoStatus(
    [property: Id(0)] string JobId,
    [property: Id(1)] string VideoId,
    [property: Id(2)] int ItemIndex,
    [property: Id(3)] VideoState State,
    [property: Id(4)] int ChunksDone,
    [property: Id(5)] int ChunksTotal,
    [property: Id(6)] string? Silo,
    [property: Id(7)] DateTimeOffset? StartedAt,
    [property: Id(8)] DateTimeOffset? FinishedAt,
    [property: Id(9)] TimeSpan? Eta,
    [property: Id(10)] string? Error,
    [property: Id(11)] string? OutputFolder,
    [property: Id(12)] bool Skipped)
{
    public double Progress => State == VideoState.Completed ? 1 : ChunksTotal == 0 ? 0 : (double)ChunksDone / ChunksTotal;
}
