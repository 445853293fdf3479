using System.Text.Json;
using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.GpuCheck;

/// <summary>One reference fixture folder (config.json, weights.safetensors, io.safetensors; see
/// tests/fixtures/reference/README.md), read on the CPU.</summary>
public sealed class FixtureCase : IDisposable
{
    private Dictionary<string, torch.Tensor>? _io;

    public FixtureCase(string directory)
    {
        Directory = directory;
        Config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "config.json")));
        Kind = Config.RootElement.GetProperty("kind").GetString()!;
        var tolerance = Config.RootElement.GetProperty("tolerance");
        Atol = tolerance.GetProperty("atol").GetDouble();
        Rtol = tolerance.GetProperty("rtol").GetDouble();
        Calls = Config.RootElement.GetProperty("calls").EnumerateArray().ToList();
    }

    public string Directory { get; }
    public string Name => Path.GetFileName(Directory.TrimEnd('/'));
    public JsonDocument Config { get; }
    public JsonElement ModelConfig => Config.RootElement.GetProperty("config");
    public string Kind { get; }
    public double Atol { get; }
    public double Rtol { get; }
    public IReadOnlyList<JsonElement> Calls { get; }
    public string WeightsPath => Path.Combine(Directory, "weights.safetensors");

    public torch.Tensor Tensor(JsonElement call, string name)
    {
        _io ??= SafeTensorsFile.Load(Path.Combine(Directory, "io.safetensors"));
        foreach (var t in _io.Values) t.DetachFromDisposeScope();
        var key = $"call{call.GetProperty("index").GetInt32()}.{name}";
        return _io.TryGetValue(key, out var tensor) ? tensor : throw new KeyNotFoundException($"{Name}: io.safetensors has no '{key}'.");
    }

    public static string Method(JsonElement call) => call.GetProperty("method").GetString()!;

    public static IEnumerable<string> CheckedOutputs(JsonElement call) =>
        call.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()!).Where(o => !o.StartsWith("dbg.", StringComparison.Ordinal));

    /// <summary>Every case folder under <paramref name="root"/> (or <paramref name="root"/> itself).</summary>
    public static IReadOnlyList<string> Discover(string root) =>
        File.Exists(Path.Combine(root, "config.json"))
            ? [root]
            : System.IO.Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "config.json"))).Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        if (_io != null) foreach (var t in _io.Values) t.Dispose();
        Config.Dispose();
    }
}
