using System.Text.Json;
using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Tests.Reference;

/// <summary>One reference fixture folder: config.json, weights.safetensors, io.safetensors.</summary>
public sealed class ReferenceCase : IDisposable
{
    private Dictionary<string, torch.Tensor>? _io;

    /// <param name="directory">A case folder, or a key from <see cref="ReferenceCases.OfKinds"/>.</param>
    public ReferenceCase(string directory)
    {
        directory = ReferenceCases.Resolve(directory);
        Directory = directory;
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"Fixture case '{directory}' has no config.json.", configPath);
        Config = JsonDocument.Parse(File.ReadAllText(configPath));
        var root = Config.RootElement;
        Kind = root.GetProperty("kind").GetString()!;
        Atol = root.GetProperty("tolerance").GetProperty("atol").GetDouble();
        Rtol = root.GetProperty("tolerance").GetProperty("rtol").GetDouble();
        Calls = root.GetProperty("calls").EnumerateArray().Select(c => new ReferenceCall(c)).ToList();
    }

    public string Directory { get; }
    public string Name => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar));
    public JsonDocument Config { get; }
    public JsonElement ModelConfig => Config.RootElement.GetProperty("config");
    public string Kind { get; }
    public double Atol { get; }
    public double Rtol { get; }
    public IReadOnlyList<ReferenceCall> Calls { get; }
    public string WeightsPath => Path.Combine(Directory, "weights.safetensors");

    /// <summary>All tensors of io.safetensors, loaded on first use. They belong to the case (disposed with it), never to
    /// a dispose scope that happens to be open at that moment.</summary>
    public Dictionary<string, torch.Tensor> Io => _io ??= LoadDetached(Path.Combine(Directory, "io.safetensors"));

    private static Dictionary<string, torch.Tensor> LoadDetached(string path)
    {
        var tensors = SafeTensorsFile.Load(path);
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    }

    public torch.Tensor Tensor(ReferenceCall call, string name)
    {
        var key = $"call{call.Index}.{name}";
        return Io.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Name}: io.safetensors has no tensor '{key}'.");
    }

    /// <summary>Asserts |mine - ref| &lt;= atol + rtol*|ref| elementwise, naming the case, call and output on failure.</summary>
    public void AssertClose(ReferenceCall call, string name, torch.Tensor mine)
    {
        var expected = Tensor(call, name);
        ToleranceAssert.Close(expected, mine, Atol, Rtol, $"{Name} call {call.Index} ({call.Method}) output '{name}'");
    }

    public void Dispose()
    {
        if (_io != null) foreach (var t in _io.Values) t.Dispose();
        Config.Dispose();
    }

    public override string ToString() => Name;
}

public sealed class ReferenceCall
{
    public ReferenceCall(JsonElement e)
    {
        Index = e.GetProperty("index").GetInt32();
        Method = e.GetProperty("method").GetString()!;
        Args = e.GetProperty("args");
        Inputs = e.GetProperty("inputs").EnumerateArray().Select(x => x.GetString()!).ToList();
        Outputs = e.GetProperty("outputs").EnumerateArray().Select(x => x.GetString()!).ToList();
    }

    public int Index { get; }
    public string Method { get; }
    public JsonElement Args { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IEnumerable<string> CheckedOutputs => Outputs.Where(o => !o.StartsWith("dbg.", StringComparison.Ordinal));
}

public static class ToleranceAssert
{
    public static void Close(torch.Tensor expected, torch.Tensor actual, double atol, double rtol, string what)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            Assert.Fail($"{what}: shape [{string.Join(",", actual.shape)}], reference [{string.Join(",", expected.shape)}].");
        using var e = expected.to(torch.ScalarType.Float64);
        using var a = actual.detach().cpu().to(torch.ScalarType.Float64);
        using var diff = (a - e).abs_();
        using var allowed = e.abs() * rtol + atol;
        using var excess = diff - allowed;
        double worst = excess.max().item<double>();
        if (double.IsNaN(worst) || worst > 0 || a.isnan().any().item<bool>())
        {
            double maxDiff = diff.max().item<double>();
            long bad = (diff > allowed).sum().item<long>();
            Assert.Fail($"{what}: {bad} of {e.numel()} elements out of tolerance (atol {atol}, rtol {rtol}); max |diff| {maxDiff:G4}.");
        }
    }
}
