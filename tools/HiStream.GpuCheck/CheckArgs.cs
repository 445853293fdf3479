using System.Globalization;

namespace HiStream.GpuCheck;

/// <summary><c>--name value</c> pairs after the step name; every step also takes <c>--out FILE</c>.</summary>
public sealed class CheckArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public CheckArgs(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw new ArgumentException($"Expected '--name value' pairs, got '{args[i]}'.");
            _values[args[i][2..]] = args[++i];
        }
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) =>
        Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
