using HiStream.Engine.Native;
using HiStream.Engine.Tests.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Tests.Native;

/// <summary>
/// The libtorch this test process runs on. scripts/test.sh runs this class a second time, from a
/// <c>-p:TorchBackend=external</c> build (no libtorch in its output) with <c>HISTREAM_LIBTORCH</c> pointing at the NuGet
/// cache's libtorch-cpu, together with the parity tests.
/// </summary>
public sealed class ExternalLibTorchTests
{
    [Fact]
    public void TorchSharpRunsOnTheLibTorchThisProcessAskedFor()
    {
        var requested = LibTorchRequest.FromEnvironment().Directory;
        var mapped = MappedLibrary(LibTorchLocator.CpuLibrary);
        Assert.NotNull(mapped);
        if (requested is null)
        {
            Assert.True(LibTorchLocator.HasBundledLibTorch(AppContext.BaseDirectory), "a run without HISTREAM_LIBTORCH must be a bundled build");
            Assert.Equal(Path.GetFullPath(AppContext.BaseDirectory), Path.GetDirectoryName(mapped) + Path.DirectorySeparatorChar);
        }
        else
        {
            Assert.False(LibTorchLocator.HasBundledLibTorch(AppContext.BaseDirectory), "the external build must not bundle libtorch");
            Assert.Equal(Path.GetFullPath(requested).TrimEnd('/'), Path.GetDirectoryName(mapped));
        }
        using var a = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
        using var p = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, p.data<float>().ToArray());
    }

    [Fact]
    public void AMissingFolderOrOneWithoutLibTorchFailsNamingIt()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "no-such-torch", "lib");
        var e = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Resolve(new LibTorchRequest(missing, "--libtorch"), dir.Path, () => null));
        Assert.Contains(missing, e.Message);
        Assert.Contains("--libtorch", e.Message);

        e = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Resolve(new LibTorchRequest(dir.Path, LibTorchRequest.EnvironmentVariable), dir.Path, () => null));
        Assert.Contains("has no libtorch_cpu.so", e.Message);
        Assert.Contains(LibTorchRequest.EnvironmentVariable, e.Message);
    }

    [Fact]
    public void ABuildWithoutLibTorchFallsBackToPythonAndSaysWhatToSetWhenThereIsNone()
    {
        using var app = new TempDirectory();
        using var torchLib = new TempDirectory();
        File.WriteAllText(Path.Combine(torchLib.Path, LibTorchLocator.CpuLibrary), "");

        var e = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Resolve(LibTorchRequest.None, app.Path, () => null));
        Assert.Contains(LibTorchRequest.EnvironmentVariable, e.Message);
        Assert.Contains("python3", e.Message);

        var found = LibTorchLocator.Resolve(LibTorchRequest.None, app.Path, () => torchLib.Path);
        Assert.Equal(("python3", Path.GetFullPath(torchLib.Path)), (found!.Source, found.Directory));

        // A bundled build ignores Python; an explicit request still wins over the bundled copy.
        File.WriteAllText(Path.Combine(app.Path, LibTorchLocator.CpuLibrary), "");
        Assert.Null(LibTorchLocator.Resolve(LibTorchRequest.None, app.Path, () => throw new InvalidOperationException("must not probe")));
        Assert.Equal(Path.GetFullPath(torchLib.Path), LibTorchLocator.Resolve(new LibTorchRequest(torchLib.Path, "--libtorch"), app.Path, () => null)!.Directory);
    }

    [Fact]
    public void ALibraryThatCannotLoadIsNamedWithTheLoadersError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, LibTorchLocator.CpuLibrary), "not an ELF file");
        var e = Assert.Throws<LibTorchLoadException>(() => ExternalLibTorchLoader.Load(dir.Path, dir.Path));
        Assert.Contains("has no libc10.so", e.Message);

        File.WriteAllText(Path.Combine(dir.Path, "libc10.so"), "not an ELF file");
        e = Assert.Throws<LibTorchLoadException>(() => ExternalLibTorchLoader.Load(dir.Path, dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "libc10.so"), e.Message);
    }

    [Fact]
    public void TheOptionWinsOverTheEnvironmentAndIsRemovedFromTheArguments()
    {
        var r = LibTorchRequest.FromArgsOrEnvironment(["--urls", "http://x", "--libtorch", "/opt/torch/lib", "serve"], out var rest);
        Assert.Equal(("/opt/torch/lib", "--libtorch"), (r.Directory, r.Source));
        Assert.Equal(new[] { "--urls", "http://x", "serve" }, rest);
        Assert.Equal("/a b", LibTorchRequest.FromArgsOrEnvironment(["--libtorch=/a b"], out _).Directory);
        Assert.Throws<ArgumentException>(() => LibTorchRequest.FromArgsOrEnvironment(["--libtorch"], out _));
    }

    [Fact]
    public void VersionComesFromThePythonInstallTheLibtorchZipOrTheNuGetPath()
    {
        using var dir = new TempDirectory();
        var lib = Directory.CreateDirectory(Path.Combine(dir.Path, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(dir.Path, "torch", "version.py"),
            "from typing import Optional\n__version__ = '2.11.0+cu130'\ndebug = False\ncuda: Optional[str] = '13.0'\ngit_version = 'abc'\n");
        Assert.Equal(("2.11.0+cu130", (string?)"13.0"), LibTorchVersion.Read(lib));

        File.Delete(Path.Combine(dir.Path, "torch", "version.py"));
        File.WriteAllText(Path.Combine(dir.Path, "torch", "build-version"), "2.10.0+cu128\n");
        Assert.Equal(("2.10.0+cu128", (string?)"12.8"), LibTorchVersion.Read(lib));

        Assert.Equal(("2.10.0 (NuGet cpu)", (string?)null), LibTorchVersion.Read("/root/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"));
        Assert.Null(LibTorchVersion.CudaFromLocalVersion("2.10.0+cpu"));
        Assert.StartsWith("unknown", LibTorchVersion.Read(Path.Combine(dir.Path, "elsewhere")).Version);
    }

    private static string? MappedLibrary(string fileName) =>
        File.ReadLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && Path.GetFileName(f[5]) == fileName)
            .Select(f => f[5])
            .FirstOrDefault();
}
