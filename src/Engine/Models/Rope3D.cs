using TorchSharp;

namespace HiStream.Engine.Models;

/// <summary>
/// Frequencies of Wan's 3D RoPE for one head dimension d. The d/2 complex pairs (adjacent elements 2j, 2j+1) are
/// split into frame, height and width groups of d/2 − 2⌊d/6⌋, ⌊d/6⌋, ⌊d/6⌋ pairs (22/21/21 for d = 128); each
/// group uses ω_j = 1/θ^(2j/D) with D twice its pair count.
/// Angles are computed directly as position·ω in float64 for any position. The reference reads a 1024-row table
/// instead, which gives identical angles below 1024 and caps a video at 1024 latent frames; this port has no cap.
/// </summary>
public sealed class Rope3D
{
    public Rope3D(int headDim, RopeSettings settings)
    {
        if (headDim < 6 || headDim % 2 != 0) throw new ArgumentException($"RoPE head_dim must be even and at least 6, got {headDim}.", nameof(headDim));
        HeadDim = headDim;
        Settings = settings.Validate();
        (FramePairs, HeightPairs, WidthPairs) = SplitPairs(headDim);
        FrameFrequencies = Frequencies(FramePairs, settings.Frame);
        HeightFrequencies = Frequencies(HeightPairs, settings.Height);
        WidthFrequencies = Frequencies(WidthPairs, settings.Width);
    }

    public int HeadDim { get; }
    public RopeSettings Settings { get; }
    public int FramePairs { get; }
    public int HeightPairs { get; }
    public int WidthPairs { get; }
    public IReadOnlyList<double> FrameFrequencies { get; }
    public IReadOnlyList<double> HeightFrequencies { get; }
    public IReadOnlyList<double> WidthFrequencies { get; }

    /// <summary>Pairs per axis for head dimension d: (d/2 − 2⌊d/6⌋, ⌊d/6⌋, ⌊d/6⌋).</summary>
    public static (int Frame, int Height, int Width) SplitPairs(int headDim)
    {
        int spatial = headDim / 6;
        return (headDim / 2 - 2 * spatial, spatial, spatial);
    }

    private static double[] Frequencies(int pairs, RopeAxis axis)
    {
        double theta = axis.EffectiveTheta(pairs);
        int width = 2 * pairs;
        var w = new double[pairs];
        for (int j = 0; j < pairs; j++) w[j] = 1.0 / Math.Pow(theta, (2.0 * j) / width);
        return w;
    }

    /// <summary>
    /// Rotation tables for a grid of <paramref name="frames"/>×<paramref name="height"/>×<paramref name="width"/>
    /// tokens (frame-major, column fastest). Frame positions are absolute, starting at <paramref name="startFrame"/>;
    /// rows and columns start at 0.
    /// </summary>
    public RotaryAngles Angles(long startFrame, int frames, int height, int width, torch.Device device, torch.ScalarType computeType)
    {
        if (startFrame < 0) throw new ArgumentOutOfRangeException(nameof(startFrame), startFrame, "Start frame must be >= 0.");
        using var scope = torch.NewDisposeScope();
        var cf = AxisTable(FramePairs, Settings.Frame, startFrame, frames, device);
        var ch = AxisTable(HeightPairs, Settings.Height, 0, height, device);
        var cw = AxisTable(WidthPairs, Settings.Width, 0, width, device);
        // [F,H,W,pairs] angles laid out frame | height | width along the pairs.
        var angles = torch.cat(new[]
        {
            cf.view(frames, 1, 1, FramePairs).expand(frames, height, width, FramePairs),
            ch.view(1, height, 1, HeightPairs).expand(frames, height, width, HeightPairs),
            cw.view(1, 1, width, WidthPairs).expand(frames, height, width, WidthPairs),
        }, 3).reshape(frames * height * width, HeadDim / 2);
        var cos = angles.cos();
        var sin = angles.sin();
        // cos is laid out interleaved (element 2j and 2j+1 both use pair j); sin stays one entry per pair.
        var c = torch.stack(new[] { cos, cos }, -1).reshape(-1, 1, HeadDim).to(computeType);
        var s = sin.reshape(-1, 1, HeadDim / 2).to(computeType);
        return new RotaryAngles(c.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope(), computeType);
    }

    /// <summary>Angles position·ω [count, pairs] in float64, built on the device (no host copy), with the reference's
    /// operations: ω = 1 / θ^(arange(0, D, 2)/D).</summary>
    private static torch.Tensor AxisTable(int pairs, RopeAxis axis, long start, int count, torch.Device device)
    {
        int width = 2 * pairs;
        var exponents = torch.arange(0, width, 2, torch.ScalarType.Float64, device).div_(width);
        var omega = torch.full(new long[] { pairs }, axis.EffectiveTheta(pairs), torch.ScalarType.Float64, device).pow_(exponents).reciprocal_();
        var positions = torch.arange(start, start + count, torch.ScalarType.Float64, device);
        return torch.outer(positions, omega);
    }
}

/// <summary>Per-token rotation tables (cos [L, 1, head_dim] interleaved, sin [L, 1, head_dim/2]) for one grid and start frame; applied to q and k of every layer.</summary>
public sealed class RotaryAngles : IDisposable
{
    private readonly torch.Tensor _cos;
    private readonly torch.Tensor _sin;

    internal RotaryAngles(torch.Tensor cos, torch.Tensor sin, torch.ScalarType computeType)
    {
        _cos = cos;
        _sin = sin;
        ComputeType = computeType;
    }

    public long Tokens => _cos.shape[0];
    public torch.ScalarType ComputeType { get; }

    /// <summary>Rotates x [B, L, heads, head_dim] (adjacent pairs) and returns a new tensor of x's dtype:
    /// y[2j] = x[2j]·cos − x[2j+1]·sin, y[2j+1] = x[2j]·sin + x[2j+1]·cos, computed in <see cref="ComputeType"/>.</summary>
    public torch.Tensor Apply(torch.Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Tokens || x.shape[3] != _cos.shape[2])
            throw new ArgumentException($"RoPE expects [B, {Tokens}, heads, {_cos.shape[2]}], got [{string.Join(", ", x.shape)}].");
        using var scope = torch.NewDisposeScope();
        var shape = x.shape;
        // x·cos promotes a bfloat16 x to the float32 tables, so the rotation runs in float32 without a separate upcast.
        var y = x.mul(_cos);
        var pairs = new[] { shape[0], shape[1], shape[2], shape[3] / 2, 2 };
        var xp = x.view(pairs);
        var yp = y.view(pairs);
        yp.select(4, 0).addcmul_(xp.select(4, 1), _sin, -1);
        yp.select(4, 1).addcmul_(xp.select(4, 0), _sin, 1);
        if (y.dtype != x.dtype) y = y.to(x.dtype);
        return y.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
