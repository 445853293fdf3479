using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;
using HiStream.Grains.Videos;

namespace HiStream.Grains.Results;

/// <summary>A job's results manifest: <c>&lt;prefix&gt;/&lt;job&gt;/results.jsonl</c>, one JSON line per finished video,
/// appended by the silo that finished it (an append blob: concurrent appends from many silos never interleave).
/// An append blob takes at most 50,000 appends, so items from index 40,000 on go to <c>results-0001.jsonl</c>,
/// <c>results-0002.jsonl</c>, ... (40,000 items each). A line is appended after the video's <c>metadata.json</c>, so
/// every line names a complete video. A retried append can repeat a line: key lines by <c>id</c>.</summary>
public static class ResultsManifest
{
    public const int ItemsPerFile = 40_000;
    public const string FileName = "results.jsonl";

    public static string NameFor(int itemIndex) => itemIndex < ItemsPerFile ? FileName : $"results-{itemIndex / ItemsPerFile:D4}.jsonl";

    public static ResultRecord ToRecord(VideoMetadata m)
    {
        string Rel(string file) => $"{m.VideoId}/{file}";
        return new ResultRecord(m.VideoId, m.ItemIndex, m.JobId, m.Prompt, m.Seed, $"{m.Width}x{m.Height}", m.Width, m.Height, m.Frames, m.Fps,
            m.Sampler, m.SamplerOptions, m.Model.Id, m.Model.Hash, m.Model.RandomWeights,
            new ResultFiles(m.Outputs.Video is { } v ? Rel(v) : null, Rel(m.Outputs.Preview), Rel(m.Outputs.Metadata),
                m.Outputs.Latents.Select(Rel).ToList(), m.Outputs.Segments.Select(Rel).ToList()),
            Math.Round((m.FinishedAt - m.StartedAt).TotalSeconds, 3), Math.Round(m.GpuSeconds, 3), m.Silo, m.FinishedAt, m.Tags);
    }

    public static Task AppendAsync(IBlobStore blobs, OutputLocation output, VideoMetadata metadata, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(ToRecord(metadata), FarmJson.Options) + "\n";
        return blobs.AppendAsync(output.Container, $"{output.JobFolder(metadata.JobId)}/{NameFor(metadata.ItemIndex)}", BinaryData.FromString(line), cancellationToken);
    }

    /// <summary>Every line of every results file of the job, repeats (same id) removed, in file order.</summary>
    public static async Task<IReadOnlyList<ResultRecord>> ReadAsync(IBlobStore blobs, OutputLocation output, string jobId, int itemCount, CancellationToken cancellationToken)
    {
        var records = new List<ResultRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int files = Math.Max(1, (itemCount + ItemsPerFile - 1) / ItemsPerFile);
        for (int f = 0; f < files; f++)
        {
            var data = await blobs.TryReadAsync(output.Container, $"{output.JobFolder(jobId)}/{NameFor(f * ItemsPerFile)}", cancellationToken);
            if (data is null) continue;
            foreach (var line in data.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var record = JsonSerializer.Deserialize<ResultRecord>(line, FarmJson.Options) ?? throw new InvalidDataException($"Empty line in the results of job {jobId}.");
                if (seen.Add(record.Id)) records.Add(record);
            }
        }
        return records;
    }
}
