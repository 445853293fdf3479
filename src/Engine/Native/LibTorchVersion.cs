using System.Text.RegularExpressions;

namespace HiStream.Engine.Native;

/// <summary>
/// The version of a libtorch folder, read from what ships beside it (libtorch has no C entry point that returns it):
/// a PyTorch wheel's <c>torch/version.py</c> (<c>__version__</c>, <c>cuda</c>), a libtorch zip's <c>build-version</c>,
/// or the NuGet path of TorchSharp's libtorch packages (<c>libtorch-cpu-linux-x64/2.10.0/…</c>).
/// </summary>
public static partial class LibTorchVersion
{
    /// <returns>The version (e.g. "2.11.0+cu130") and the CUDA version it was built for (null for a CPU build or when unknown).</returns>
    public static (string Version, string? Cuda) Read(string libDirectory)
    {
        var versionPy = Path.Combine(libDirectory, "..", "version.py");
        if (File.Exists(versionPy))
        {
            var text = File.ReadAllText(versionPy);
            var v = PyVersion().Match(text);
            var c = PyCuda().Match(text);
            if (v.Success) return (v.Groups[1].Value, c.Success ? c.Groups[1].Value : null);
        }
        var buildVersion = Path.Combine(libDirectory, "..", "build-version");
        if (File.Exists(buildVersion))
        {
            var v = File.ReadAllText(buildVersion).Trim();
            return (v, CudaFromLocalVersion(v));
        }
        var nuget = NuGetPath().Match(libDirectory.Replace('\\', '/'));
        if (nuget.Success)
            return (nuget.Groups[2].Value + " (NuGet " + nuget.Groups[1].Value + ")", nuget.Groups[1].Value.StartsWith("cuda-", StringComparison.Ordinal) ? nuget.Groups[1].Value[5..] : null);
        return ("unknown (no version.py, build-version or NuGet path beside " + libDirectory + ")", null);
    }

    /// <summary>"2.11.0+cu130" gives "13.0"; "+cpu" and no suffix give null.</summary>
    public static string? CudaFromLocalVersion(string version)
    {
        var m = LocalCuda().Match(version);
        if (!m.Success) return null;
        var digits = m.Groups[1].Value;
        return digits.Length < 2 ? null : digits[..^1] + "." + digits[^1];
    }

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex PyVersion();

    [GeneratedRegex(@"^cuda\s*(?::[^=\n]*)?=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex PyCuda();

    [GeneratedRegex(@"\+cu(\d+)")]
    private static partial Regex LocalCuda();

    [GeneratedRegex(@"libtorch-(cpu|cuda-[\d.]+)-linux-x64/([^/]+)/")]
    private static partial Regex NuGetPath();
}
