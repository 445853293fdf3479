namespace HiStream.Engine.Sampling;

/// <summary>
/// "NTK-aware" RoPE scaling (model-spec §6.5) for the high-res passes: for an axis with rotary width d (twice its
/// number of frequency pairs) and scale s, θ' = θ·s^(d/(d−2)). Equivalently ω'_j = ω_j·s^(−2j/(d−2)): the highest
/// frequency (j = 0) is unchanged and the lowest (j = d/2 − 1) is divided by s, so the coarse position code spans an
/// s-times larger grid while the fine detail code stays as trained. s = 1 gives θ' = θ, i.e. plain RoPE.
/// </summary>
public static class HiStreamNtkRope
{
    /// <param name="theta">The axis base (10000 in Wan2.1).</param>
    /// <param name="rotaryWidth">Head dimensions of the axis (2 × pairs: 44 for time, 42 for height and width at head_dim 128).</param>
    public static double ScaledTheta(double theta, int rotaryWidth, double scale)
    {
        if (rotaryWidth < 4 || rotaryWidth % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(rotaryWidth), rotaryWidth, "An axis needs an even rotary width of at least 4 for NTK scaling.");
        if (!(scale > 0) || double.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The NTK scale must be a positive finite number.");
        return scale == 1.0 ? theta : theta * Math.Pow(scale, rotaryWidth / (double)(rotaryWidth - 2));
    }

    /// <summary>
    /// Per-axis θ (time, height, width) for a pass: the axes in <paramref name="axes"/> scaled by <paramref name="scale"/>.
    /// <paramref name="pairs"/> are the frequency pairs per axis, e.g. (22, 21, 21) at head_dim 128.
    /// </summary>
    public static (double Time, double Height, double Width) AxisThetas(double theta, (int Time, int Height, int Width) pairs, double scale, RopeAxes axes) =>
        (axes.HasFlag(RopeAxes.Time) ? ScaledTheta(theta, 2 * pairs.Time, scale) : theta,
         axes.HasFlag(RopeAxes.Height) ? ScaledTheta(theta, 2 * pairs.Height, scale) : theta,
         axes.HasFlag(RopeAxes.Width) ? ScaledTheta(theta, 2 * pairs.Width, scale) : theta);

    /// <summary>Angular frequencies ω_j = θ^(−2j/d), j = 0..d/2−1, of an axis of rotary width d (fp64, as the reference tables).</summary>
    public static double[] Frequencies(double theta, int rotaryWidth)
    {
        var w = new double[rotaryWidth / 2];
        for (int j = 0; j < w.Length; j++) w[j] = Math.Pow(theta, -2.0 * j / rotaryWidth);
        return w;
    }
}
