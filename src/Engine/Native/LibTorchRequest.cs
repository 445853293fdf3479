namespace HiStream.Engine.Native;

/// <summary>
/// Which libtorch a process asks for: a folder given on the command line (<c>--libtorch DIR</c>) or in
/// <c>HISTREAM_LIBTORCH</c>, or nothing (then the libtorch bundled in the build is used, or, for a build without one,
/// the one of the machine's Python PyTorch).
/// </summary>
/// <param name="Directory">Folder holding libtorch_cpu.so (a PyTorch install's <c>torch/lib</c>), or null.</param>
/// <param name="Source">Where <paramref name="Directory"/> came from, for logs and errors.</param>
public sealed record LibTorchRequest(string? Directory, string Source)
{
    public const string EnvironmentVariable = "HISTREAM_LIBTORCH";
    public const string Option = "--libtorch";

    public static LibTorchRequest None { get; } = new(null, "none");

    public static LibTorchRequest FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? None : new LibTorchRequest(value.Trim(), EnvironmentVariable);
    }

    /// <summary><c>--libtorch DIR</c> or <c>--libtorch=DIR</c> from <paramref name="args"/> wins over the environment.
    /// <paramref name="remaining"/> is <paramref name="args"/> without that option (for hosts that reject unknown ones).</summary>
    public static LibTorchRequest FromArgsOrEnvironment(IReadOnlyList<string> args, out string[] remaining)
    {
        var rest = new List<string>(args.Count);
        string? value = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == Option)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"{Option} needs a folder (a PyTorch install's torch/lib).");
                value = args[++i];
            }
            else if (args[i].StartsWith(Option + "=", StringComparison.Ordinal)) value = args[i][(Option.Length + 1)..];
            else rest.Add(args[i]);
        }
        remaining = rest.ToArray();
        return value is null ? FromEnvironment() : new LibTorchRequest(value, Option);
    }
}
