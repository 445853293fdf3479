namespace HiStream.Grains.Results;

/// <summary>One line of a job's <c>results.jsonl</c>: a finished video, as a dataset pipeline reads it. File names are
/// relative to the job's folder.</summary>
public sealed record ResultRecord(
    string Id,
    int Index,
    string JobId,
    string Prompt,
    long Seed,
    string Size,
    int Width,
    int Height,
    int Frames,
    int Fps,
    string Sampler,
    IReadOnlyDictionary<string, string> Options,
    string ModelId,
    string ModelHash,
    bool RandomWeights,
    ResultFiles Files,
    double Seconds,
    double GpuSeconds,
    string Silo,
    DateTimeOffset FinishedAt,
    IReadOnlyList<string> Tags);

public sealed record ResultFiles(string? Video, string Preview, string Metadata, IReadOnlyList<string> Latents, IReadOnlyList<string> Segments);
