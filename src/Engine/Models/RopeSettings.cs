namespace HiStream.Engine.Models;

/// <summary>Base and NTK scale of the rotary frequencies of one axis (frame, height or width).</summary>
/// <param name="Theta">Base θ (Wan: 10000 on every axis).</param>
/// <param name="NtkScale">NTK-aware scale s: θ' = θ·s^(d_a/(d_a−2)) with d_a the axis's rotary width. 1 leaves θ
/// unchanged exactly; s &gt; 1 keeps the highest frequency and divides the lowest by s (model-spec §6.5).</param>
public readonly record struct RopeAxis(double Theta = 10000.0, double NtkScale = 1.0)
{
    public static RopeAxis Plain { get; } = new(10000.0, 1.0);

    /// <summary>The effective base for an axis that rotates <paramref name="pairs"/> complex pairs.</summary>
    public double EffectiveTheta(int pairs)
    {
        // d_a = 2·pairs. With a single pair only ω_0 = 1 exists, which no θ changes.
        if (NtkScale == 1.0 || pairs <= 1) return Theta;
        double width = 2.0 * pairs;
        return Theta * Math.Pow(NtkScale, width / (width - 2.0));
    }
}

/// <summary>
/// Rotary position settings for the three axes of Wan's 3D RoPE. <see cref="Default"/> is the reference
/// (θ = 10000, no scaling). HiStream's high-resolution passes use an NTK scale on height and width.
/// </summary>
public sealed record RopeSettings(RopeAxis Frame, RopeAxis Height, RopeAxis Width)
{
    public static RopeSettings Default { get; } = new(RopeAxis.Plain, RopeAxis.Plain, RopeAxis.Plain);

    /// <summary>Plain frame axis, NTK-scaled spatial axes (θ = 10000).</summary>
    public static RopeSettings NtkSpatial(double heightScale, double widthScale) =>
        new(RopeAxis.Plain, new RopeAxis(10000.0, heightScale), new RopeAxis(10000.0, widthScale));

    public RopeSettings Validate()
    {
        foreach (var (axis, name) in new[] { (Frame, "frame"), (Height, "height"), (Width, "width") })
        {
            if (!(axis.Theta > 0) || double.IsInfinity(axis.Theta))
                throw new ArgumentException($"RoPE {name} theta must be a positive number, got {axis.Theta}.");
            if (!(axis.NtkScale > 0) || double.IsInfinity(axis.NtkScale))
                throw new ArgumentException($"RoPE {name} NTK scale must be a positive number, got {axis.NtkScale}.");
        }
        return this;
    }
}
