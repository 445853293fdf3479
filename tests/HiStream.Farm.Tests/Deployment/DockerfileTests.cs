using System.Text.RegularExpressions;
using System.Xml.Linq;
using HiStream.Farm.Tests.Infrastructure;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>deploy/docker cannot be built here (no Docker engine); these checks catch the drift that would break
/// the image build or the container: a project missing from the restore layer, a wrong entry point, ports that
/// differ from the manifests, the CUDA stage not switching TorchSharp.</summary>
public sealed partial class DockerfileTests
{
    [Theory]
    [InlineData("deploy/docker/silo.Dockerfile", "src/Silo/HiStream.Silo.csproj")]
    [InlineData("deploy/docker/gateway.Dockerfile", "src/Gateway/HiStream.Gateway.csproj")]
    public void Restore_layer_copies_every_project_the_app_references(string dockerfile, string project)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, dockerfile));
        var copied = CopiedProject().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var missing = ProjectClosure(project).Where(p => !copied.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"{dockerfile} restores without: {string.Join(", ", missing)}");
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            Assert.Contains(file, text);
    }

    [Theory]
    [InlineData("deploy/docker/silo.Dockerfile", "src/Silo/HiStream.Silo.csproj")]
    [InlineData("deploy/docker/gateway.Dockerfile", "src/Gateway/HiStream.Gateway.csproj")]
    public void Entry_point_runs_the_published_assembly(string dockerfile, string project)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, dockerfile));
        var csproj = XDocument.Load(Path.Combine(RepoPaths.Root, project));
        var assembly = csproj.Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);
        var entryPoints = EntryPoint().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(entryPoints);
        Assert.All(entryPoints, e => Assert.Equal($"{assembly}.dll", e));
    }

    [Fact]
    public void Silo_image_exposes_the_ports_the_manifests_use_and_the_cuda_stage_switches_torchsharp()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy/docker/silo.Dockerfile"));
        var silo = FarmChecks.Find(Manifests.Kustomize(KustomizeTests.Production), "silo").Container;
        foreach (Match expose in Expose().Matches(text))
        {
            var ports = expose.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
            Assert.Equal(silo.Ports.Select(p => p.ContainerPort).ToHashSet(), ports);
        }
        Assert.Matches(@"FROM\s+build-base\s+AS\s+build-cuda[\s\S]*?dotnet publish[^\n]*-p:TorchBackend=cuda", text);
        Assert.Matches(@"FROM\s+\$\{CUDA_IMAGE\}\s+AS\s+cuda[\s\S]*ffmpeg[\s\S]*COPY --from=build-cuda", text);
        Assert.Matches(@"FROM\s+[^\n]*aspnet[^\n]*\s+AS\s+cpu[\s\S]*ffmpeg[\s\S]*COPY --from=build-cpu", text);
        // The last stage is the default target: the GPU image.
        Assert.Equal("cuda", Regex.Matches(text, @"^FROM\s+\S+\s+AS\s+(\S+)", RegexOptions.Multiline).Last().Groups[1].Value);
    }

    /// <summary>The pytorch stage runs the silo on the base image's libtorch: it must build without the bundled
    /// libtorch, find the folder with the same python3 command as scripts/gpu-check.sh, run the check's symbol step
    /// on it, and point HISTREAM_LIBTORCH at it.</summary>
    [Fact]
    public void Pytorch_stage_uses_the_images_libtorch_with_the_gpu_checks_commands()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy/docker/silo.Dockerfile"));
        var check = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts/gpu-check.sh"));
        var stage = Regex.Match(text, @"^FROM\s+\$\{PYTORCH_IMAGE\}\s+AS\s+pytorch\s*$([\s\S]*?)^FROM\s", RegexOptions.Multiline);
        Assert.True(stage.Success, "silo.Dockerfile has no 'FROM ${PYTORCH_IMAGE} AS pytorch' stage before the last one");
        var body = stage.Groups[1].Value;
        Assert.Matches(@"FROM\s+build-base\s+AS\s+build-external[\s\S]*?dotnet publish src/Silo/HiStream.Silo.csproj[^\n]*-p:TorchBackend=external", text);
        Assert.Contains("COPY --from=build-external /app ./", body);

        const string findTorch = "python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'";
        Assert.Contains(findTorch, check);
        Assert.Contains($"ln -s \"$({findTorch})/lib\" /opt/libtorch", body);
        Assert.Contains("HISTREAM_LIBTORCH=/opt/libtorch", body);

        Assert.Contains("\"$CHECK\" symbols --binding \"$KIT/check/libLibTorchSharp.so\" --libtorch \"$LIBTORCH\"", check);
        Assert.Contains("histream-gpucheck.dll symbols --binding /app/libLibTorchSharp.so --libtorch /opt/libtorch", body);
        Assert.Contains("'\"status\": \"gaps\"'", body);
        Assert.Contains("'\"status\": \"gaps\"'", check);
        Assert.Contains("ffmpeg", body);
        Assert.Contains("binutils", body);   // nm and objdump for the symbol check

        var ignore = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore")).Select(l => l.Trim()).ToList();
        Assert.True(ignore.IndexOf("!tools/HiStream.GpuCheck/") > ignore.IndexOf("tools/"), ".dockerignore must let tools/HiStream.GpuCheck/ through");
    }

    [Fact]
    public void Dockerignore_keeps_build_outputs_and_tests_out_of_the_context()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var pattern in new[] { "**/bin/", "**/obj/", ".git/", "tests/", "**/node_modules/" }) Assert.Contains(pattern, lines);
        Assert.DoesNotContain("src/", lines);
    }

    private static IReadOnlyList<string> ProjectClosure(string project)
    {
        var seen = new List<string>();
        void Visit(string relative)
        {
            relative = relative.Replace('\\', '/');
            if (seen.Contains(relative)) return;
            seen.Add(relative);
            var dir = Path.GetDirectoryName(relative)!;
            foreach (var reference in XDocument.Load(Path.Combine(RepoPaths.Root, relative)).Descendants("ProjectReference"))
                Visit(Path.GetRelativePath(RepoPaths.Root, Path.GetFullPath(Path.Combine(RepoPaths.Root, dir, reference.Attribute("Include")!.Value))));
        }
        Visit(project);
        return seen;
    }

    [GeneratedRegex(@"^COPY\s+(src/\S+\.csproj)\s+src/\S+/\s*$", RegexOptions.Multiline)]
    private static partial Regex CopiedProject();

    [GeneratedRegex(@"^ENTRYPOINT\s+\[""dotnet"",\s*""([^""]+)""\]", RegexOptions.Multiline)]
    private static partial Regex EntryPoint();

    [GeneratedRegex(@"^EXPOSE\s+([\d ]+)$", RegexOptions.Multiline)]
    private static partial Regex Expose();
}
