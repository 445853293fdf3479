using System.Globalization;
using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Sampling;

/// <summary>
/// The saved state of a chunked video, enough to resume it exactly: which sampler with which settings, the request
/// (text context, seed, size, length) and the latents of the chunks finished so far. Caches are not saved; the
/// sampler rebuilds them from the finished chunks (for HiStream: 1 high-res + 1 low-res refresh pass per chunk).
/// Stored as one safetensors file (tensors "context" and "chunk.N", the rest as metadata).
/// </summary>
public sealed record SamplerCheckpoint(
    string Sampler, string Settings, long Seed, int LatentFrames, int LatentHeight, int LatentWidth,
    torch.Tensor TextContext, IReadOnlyList<torch.Tensor> FinishedChunks)
{
    private const string Format = "histream-sampler-checkpoint/1";

    /// <summary>Captures the state after <paramref name="finishedChunks"/> (the latents yielded so far, in order).</summary>
    public static SamplerCheckpoint Capture(IVideoSampler sampler, SamplingRequest request, IReadOnlyList<torch.Tensor> finishedChunks) =>
        new(sampler.Name, SettingsOf(sampler), request.Seed, request.LatentFrames, request.LatentHeight, request.LatentWidth,
            request.TextContext, finishedChunks);

    /// <summary>The request this checkpoint continues.</summary>
    public SamplingRequest Request => new(TextContext, Seed, LatentFrames, LatentHeight, LatentWidth);

    /// <summary>The resume state for <paramref name="sampler"/>; throws naming the first field that does not match.</summary>
    public SamplerResumeState ResumeStateFor(IVideoSampler sampler)
    {
        if (sampler.Name != Sampler)
            throw new ArgumentException($"The checkpoint was written by sampler '{Sampler}', not '{sampler.Name}'.", nameof(sampler));
        var settings = SettingsOf(sampler);
        if (settings != Settings)
            throw new ArgumentException($"The checkpoint's settings differ from the sampler's: checkpoint [{Settings}], sampler [{settings}]. Resume with the settings the video was started with.", nameof(sampler));
        return new SamplerResumeState(FinishedChunks);
    }

    public void Save(string path)
    {
        var tensors = new Dictionary<string, torch.Tensor> { ["context"] = TextContext };
        for (int i = 0; i < FinishedChunks.Count; i++) tensors[$"chunk.{i}"] = FinishedChunks[i];
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["sampler"] = Sampler,
            ["settings"] = Settings,
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["latent_frames"] = LatentFrames.ToString(CultureInfo.InvariantCulture),
            ["latent_height"] = LatentHeight.ToString(CultureInfo.InvariantCulture),
            ["latent_width"] = LatentWidth.ToString(CultureInfo.InvariantCulture),
            ["finished_chunks"] = FinishedChunks.Count.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Save(path, tensors, meta);
    }

    public static SamplerCheckpoint Load(string path)
    {
        var tensors = SafeTensorsFile.Load(path, out var meta);
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: checkpoint metadata has no '{key}'.");
        int Int(string key) => int.Parse(Meta(key), CultureInfo.InvariantCulture);
        if (Meta("format") != Format) throw new InvalidDataException($"{path}: not a sampler checkpoint (format '{Meta("format")}').");
        int count = Int("finished_chunks");
        var chunks = Enumerable.Range(0, count)
            .Select(i => tensors.TryGetValue($"chunk.{i}", out var t) ? t : throw new InvalidDataException($"{path}: chunk {i} of {count} is missing."))
            .ToArray();
        var context = tensors.TryGetValue("context", out var c) ? c : throw new InvalidDataException($"{path}: the text context is missing.");
        return new SamplerCheckpoint(Meta("sampler"), Meta("settings"), long.Parse(Meta("seed"), CultureInfo.InvariantCulture),
            Int("latent_frames"), Int("latent_height"), Int("latent_width"), context, chunks);
    }

    private static string SettingsOf(IVideoSampler sampler) => sampler switch
    {
        HiStreamSampler h => h.Settings.Describe(),
        WanBidirectionalSampler w => $"steps={w.Settings.Steps}; shift={w.Settings.Shift:R}; cfg={w.Settings.GuidanceScale:R}",
        _ => sampler.Name,
    };
}
