using TorchSharp;

namespace HiStream.Engine.Media;

public sealed record ContactSheetOptions
{
    public int Columns { get; init; } = 4;

    /// <summary>At most this many frames, evenly spaced from the first to the last.</summary>
    public int MaxFrames { get; init; } = 16;

    /// <summary>Thumbnail width in pixels (area-downscaled, aspect kept); 0 or wider than the video = full size.</summary>
    public int ThumbnailWidth { get; init; } = 320;

    /// <summary>Pixels between thumbnails and around the sheet.</summary>
    public int Gap { get; init; } = 4;

    /// <summary>Grey level of the background and gaps.</summary>
    public byte Background { get; init; } = 16;

    public void Validate()
    {
        if (Columns <= 0) throw new ArgumentOutOfRangeException(nameof(Columns), Columns, "Columns must be positive.");
        if (MaxFrames <= 0) throw new ArgumentOutOfRangeException(nameof(MaxFrames), MaxFrames, "MaxFrames must be positive.");
        if (ThumbnailWidth < 0) throw new ArgumentOutOfRangeException(nameof(ThumbnailWidth), ThumbnailWidth, "ThumbnailWidth must be 0 or positive.");
        if (Gap < 0) throw new ArgumentOutOfRangeException(nameof(Gap), Gap, "Gap must be 0 or positive.");
    }
}

/// <summary>A grid of frames of a video as one image, for a quick look at a whole clip.</summary>
public static class ContactSheet
{
    /// <summary>Indices of up to <paramref name="maxFrames"/> frames, evenly spaced, first and last included.</summary>
    public static IReadOnlyList<int> PickFrames(int frameCount, int maxFrames)
    {
        if (frameCount <= 0) throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, "No frames to pick from.");
        int n = Math.Min(frameCount, maxFrames);
        if (n == 1) return [0];
        return Enumerable.Range(0, n).Select(i => (int)Math.Round(i * (frameCount - 1) / (double)(n - 1))).ToArray();
    }

    /// <summary>Composes the sheet from uint8 frames [N, H, W, 3]; returns [H', W', 3] uint8.</summary>
    public static torch.Tensor Compose(torch.Tensor frames, ContactSheetOptions? options = null)
    {
        options ??= new ContactSheetOptions();
        options.Validate();
        using var batch = RgbFrames.AsBatch(frames, nameof(frames));
        using var scope = torch.NewDisposeScope();
        var picks = PickFrames((int)batch.shape[0], options.MaxFrames);
        var chosen = batch.index_select(0, torch.tensor(picks.Select(i => (long)i).ToArray()));
        var thumbs = Thumbnails(chosen, options.ThumbnailWidth);
        long th = thumbs.shape[1], tw = thumbs.shape[2];
        int count = picks.Count, cols = Math.Min(options.Columns, count), rows = (count + cols - 1) / cols, gap = options.Gap;
        var sheet = torch.full([rows * th + (rows + 1) * gap, cols * tw + (cols + 1) * gap, 3], options.Background, dtype: torch.ScalarType.Byte);
        for (int i = 0; i < count; i++)
        {
            long top = gap + i / cols * (th + gap), left = gap + i % cols * (tw + gap);
            sheet.narrow(0, top, th).narrow(1, left, tw).copy_(thumbs[i]);
        }
        return sheet.MoveToOuterDisposeScope();
    }

    /// <summary>Area-downscales uint8 frames [N, H, W, 3] to <paramref name="width"/> pixels wide (aspect kept);
    /// 0 or a width not below the frames' returns them unchanged (a copy).</summary>
    public static torch.Tensor Thumbnails(torch.Tensor frames, int width)
    {
        using var batch = RgbFrames.AsBatch(frames, nameof(frames));
        long h = batch.shape[1], w = batch.shape[2];
        if (width <= 0 || width >= w) return batch.clone();
        using var scope = torch.NewDisposeScope();
        long th = Math.Max(1, (long)Math.Round(h * (double)width / w));
        var planar = batch.permute(0, 3, 1, 2).to(torch.ScalarType.Float32);
        var small = torch.nn.functional.interpolate(planar, size: [th, width], mode: torch.InterpolationMode.Area);
        return small.round_().clamp_(0, 255).to(torch.ScalarType.Byte).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Composes the sheet and writes it as a PNG.</summary>
    public static void Write(string path, torch.Tensor frames, ContactSheetOptions? options = null, FfmpegTools? tools = null)
    {
        using var sheet = Compose(frames, options);
        PngWriter.Write(path, sheet, tools);
    }
}
