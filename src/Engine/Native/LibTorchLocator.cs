using System.Diagnostics;

namespace HiStream.Engine.Native;

/// <summary>Finds the libtorch folder to load: the requested one, else none when the build bundles libtorch, else the
/// folder of the machine's Python PyTorch (<c>python3 -c "import torch"</c>).</summary>
public static class LibTorchLocator
{
    public const string CpuLibrary = "libtorch_cpu.so";

    /// <summary>Folder of the app (where a bundled libtorch and libLibTorchSharp.so are copied).</summary>
    public static string AppDirectory => AppContext.BaseDirectory;

    /// <summary>True when the build copied libtorch next to the app (TorchBackend cpu or cuda).</summary>
    public static bool HasBundledLibTorch(string appDirectory) => File.Exists(Path.Combine(appDirectory, CpuLibrary));

    /// <returns>The folder and where it came from, or null to use the bundled libtorch.</returns>
    public static LibTorchRequest? Resolve(LibTorchRequest request, string appDirectory, Func<string?> pythonProbe)
    {
        if (request.Directory is { } dir) return request with { Directory = CheckFolder(dir, request.Source) };
        if (HasBundledLibTorch(appDirectory)) return null;
        var probed = pythonProbe();
        if (probed is null)
            throw new LibTorchLoadException(
                $"This build has no bundled libtorch (TorchBackend=external) and none was given: set {LibTorchRequest.EnvironmentVariable}=/path/to/torch/lib " +
                $"or pass {LibTorchRequest.Option} DIR, or install PyTorch for python3 (the folder is then found with `python3 -c \"import torch\"`).");
        return new LibTorchRequest(CheckFolder(probed, "python3 -c \"import torch\""), "python3");
    }

    /// <summary>torch/lib of the PyTorch that <c>python3</c> imports, or null when there is no python3 or no torch.</summary>
    public static string? ProbePython()
    {
        try
        {
            var start = new ProcessStartInfo("python3", ["-c", "import torch, os; print(os.path.dirname(torch.__file__))"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(start);
            if (p is null) return null;
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(true); return null; }
            var torchDir = stdout.Result.Trim().Split('\n').LastOrDefault()?.Trim();
            return p.ExitCode == 0 && !string.IsNullOrEmpty(torchDir) ? Path.Combine(torchDir, "lib") : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }   // no python3 on PATH
    }

    private static string CheckFolder(string dir, string source)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new LibTorchLoadException($"libtorch folder '{full}' (from {source}) does not exist. It must be a PyTorch install's torch/lib folder.");
        if (!File.Exists(Path.Combine(full, CpuLibrary)))
            throw new LibTorchLoadException($"libtorch folder '{full}' (from {source}) has no {CpuLibrary}. It must be a PyTorch install's torch/lib folder " +
                                            "(it holds libtorch_cpu.so, libc10.so and, for CUDA, libtorch_cuda.so).");
        return full;
    }
}
