using System.Globalization;

namespace HiStream.Bench.Checkpoints;

/// <summary>What one child process measured; it travels to the parent as one "RESULT ..." line.</summary>
internal sealed record LoadResult(int Tensors, long Bytes, double Seconds, long PeakRss, long BaselineRss, double Fingerprint)
{
    public const string Tag = "RESULT ";

    public string Format() => Tag + string.Join(' ',
        Tensors.ToString(CultureInfo.InvariantCulture), Bytes.ToString(CultureInfo.InvariantCulture),
        Seconds.ToString("R", CultureInfo.InvariantCulture), PeakRss.ToString(CultureInfo.InvariantCulture),
        BaselineRss.ToString(CultureInfo.InvariantCulture), Fingerprint.ToString("R", CultureInfo.InvariantCulture));

    public static LoadResult Parse(string line)
    {
        var f = line[Tag.Length..].Split(' ');
        return new LoadResult(int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
            double.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture),
            long.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture));
    }
}
