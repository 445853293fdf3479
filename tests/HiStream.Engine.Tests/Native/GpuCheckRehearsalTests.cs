using System.Text.Json;

namespace HiStream.Engine.Tests.Native;

/// <summary>Runs only where <c>HISTREAM_GPU_CHECK_RESULTS</c> names a results folder of scripts/gpu-check.sh.</summary>
public sealed class RehearsalFactAttribute : FactAttribute
{
    public const string EnvironmentVariable = "HISTREAM_GPU_CHECK_RESULTS";

    public RehearsalFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable)))
            Skip = $"{EnvironmentVariable} is not set (scripts/test.sh sets it after the CPU rehearsal of the GPU check kit)";
    }
}

/// <summary>
/// The CPU rehearsal of the GPU check (scripts/test.sh builds the kit with scripts/gpu-kit.sh and runs its
/// gpu-check.sh with --cpu-rehearsal against the NuGet cache's libtorch-cpu): the results file exists, and every step
/// that can pass on a CPU passed.
/// </summary>
public sealed class GpuCheckRehearsalTests
{
    private static JsonDocument Results()
    {
        var dir = Environment.GetEnvironmentVariable(RehearsalFactAttribute.EnvironmentVariable)!;
        var path = Path.Combine(dir, "results.json");
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.True(File.Exists(Path.Combine(dir, "results.md")), "results.md was not written");
        return JsonDocument.Parse(File.ReadAllText(path));
    }

    private static Dictionary<string, JsonElement> Steps(JsonDocument doc) =>
        doc.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.Clone());

    private static string Status(Dictionary<string, JsonElement> steps, string name)
    {
        Assert.True(steps.ContainsKey(name), $"step '{name}' is missing from results.json (steps: {string.Join(", ", steps.Keys)})");
        return steps[name].GetProperty("status").GetString()!;
    }

    [RehearsalFact]
    public void EveryStepRanInOrderAndTheReportHasItsTable()
    {
        using var doc = Results();
        var names = doc.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(new[] { "symbols", "binding-build", "info", "smoke", "parity", "bench-self-forcing", "bench-histream", "bench-histream-plus", "vae" }, names);
        var markdown = doc.RootElement.GetProperty("markdown").GetString()!;
        Assert.Contains("| # | step | status | seconds | summary |", markdown);
        Assert.Contains("### HiStream benchmark", markdown);
        Assert.All(doc.RootElement.GetProperty("steps").EnumerateArray(), s => Assert.True(s.GetProperty("seconds").GetDouble() >= 0));
    }

    [RehearsalFact]
    public void TheBindingBindsEverySymbolOfTheCpuLibTorchAndLoads()
    {
        using var doc = Results();
        var steps = Steps(doc);
        Assert.Equal("pass", Status(steps, "symbols"));
        var details = steps["symbols"].GetProperty("output").GetProperty("details");
        Assert.Equal(0, details.GetProperty("missing_strong").GetInt32());
        Assert.True(details.GetProperty("undefined_from_libtorch").GetInt32() > 500, "libLibTorchSharp.so binds about 1,000 libtorch symbols");
        Assert.True(details.GetProperty("engine_symbols_known").GetInt32() > 50, "the kit's engine-symbols.txt lists the symbols the engine bound");
        Assert.StartsWith("skipped (not needed", Status(steps, "binding-build"));
        Assert.Equal("pass", Status(steps, "info"));
    }

    [RehearsalFact]
    public void ShrunkStepsSayWhyAndEveryFixtureCaseMatchesInBothDtypes()
    {
        using var doc = Results();
        var steps = Steps(doc);
        Assert.Equal("shrunk", Status(steps, "smoke"));
        Assert.Contains("CPU rehearsal", steps["smoke"].GetProperty("note").GetString());
        Assert.Equal("shrunk", Status(steps, "vae"));

        Assert.Equal("pass", Status(steps, "parity"));
        var cases = steps["parity"].GetProperty("output").GetProperty("details").GetProperty("cases").EnumerateArray().ToList();
        var kinds = cases.Select(c => c.GetProperty("kind").GetString()).ToHashSet();
        foreach (var kind in new[] { "wan-dit", "causal-wan", "flow-scheduler", "wan-vae-decoder", "umt5-encoder" }) Assert.Contains(kind, kinds);
        Assert.Contains(cases, c => c.GetProperty("dtype").GetString() == "bfloat16");
        Assert.All(cases, c => Assert.StartsWith("pass", c.GetProperty("result").GetString()));
    }

    [RehearsalFact]
    public void TheBenchmarkRanEverySamplerInItsOwnProcess()
    {
        using var doc = Results();
        var steps = Steps(doc);
        foreach (var sampler in new[] { "self-forcing", "histream", "histream-plus" })
        {
            Assert.Equal("pass", Status(steps, "bench-" + sampler));
            var result = steps["bench-" + sampler].GetProperty("output").GetProperty("samplers")[0];
            Assert.Equal(sampler, result.GetProperty("sampler").GetString());
            Assert.True(result.GetProperty("seconds_per_frame").GetDouble() > 0);
            Assert.True(result.GetProperty("achieved_tflops").GetDouble() > 0);
        }
    }
}
