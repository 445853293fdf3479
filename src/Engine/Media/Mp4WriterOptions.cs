namespace HiStream.Engine.Media;

/// <summary>How odd frame sizes become the even sizes H.264 4:2:0 needs.</summary>
public enum EvenSizeMode
{
    /// <summary>Add one black row/column at the bottom/right.</summary>
    Pad,
    /// <summary>Drop the last row/column.</summary>
    Crop,
}

public sealed record Mp4WriterOptions
{
    public double FramesPerSecond { get; init; } = 16;

    /// <summary>x264 constant rate factor (0 lossless … 51 worst; 18 is visually near-lossless).</summary>
    public int Crf { get; init; } = 18;

    /// <summary>x264 preset (ultrafast … veryslow).</summary>
    public string Preset { get; init; } = "medium";

    /// <summary>Fragmented MP4: the file is playable while chunks are still arriving, and a crash leaves every finished
    /// fragment readable. Keyframes (and fragments) come every second.</summary>
    public bool Fragmented { get; init; }

    public EvenSizeMode OddSize { get; init; } = EvenSizeMode.Pad;

    /// <summary>ffmpeg to use; null = <see cref="FfmpegTools.Locate"/>.</summary>
    public FfmpegTools? Tools { get; init; }

    public void Validate()
    {
        if (!(FramesPerSecond > 0 && FramesPerSecond <= 1000)) throw new ArgumentOutOfRangeException(nameof(FramesPerSecond), FramesPerSecond, "Frames per second must be in (0, 1000].");
        if (Crf is < 0 or > 51) throw new ArgumentOutOfRangeException(nameof(Crf), Crf, "CRF must be 0..51.");
        string[] presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];
        if (!presets.Contains(Preset)) throw new ArgumentException($"Unknown x264 preset '{Preset}'. Use one of {string.Join(", ", presets)}.", nameof(Preset));
    }
}
