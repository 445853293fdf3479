namespace HiStream.Engine.Tests.Reference;

/// <summary>
/// Finds fixture case folders: the copies committed under tests/fixtures/reference, plus every folder listed in
/// HISTREAM_FIXTURES (path-separated; each entry is a case folder or a folder of case folders).
/// A listed folder that does not exist is an error, never a skip.
/// </summary>
public static class ReferenceCases
{
    public const string EnvironmentVariable = "HISTREAM_FIXTURES";

    public static string CommittedRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "HiStream.Farm.sln"))) dir = dir.Parent;
            if (dir == null) throw new DirectoryNotFoundException("Cannot find the repository root (HiStream.Farm.sln) above " + AppContext.BaseDirectory);
            var root = Path.Combine(dir.FullName, "tests", "fixtures", "reference");
            if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Reference fixtures are missing: {root}");
            return root;
        }
    }

    public static IReadOnlyList<string> All() => Discover(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <param name="extra">The value of HISTREAM_FIXTURES (path-separated folders), or null.</param>
    public static IReadOnlyList<string> Discover(string? extra)
    {
        var roots = new List<string> { CommittedRoot };
        if (!string.IsNullOrWhiteSpace(extra))
            roots.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var cases = new List<string>();
        foreach (var root in roots)
        {
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"Fixture folder '{root}' (from {EnvironmentVariable} or the repository) does not exist.");
            if (File.Exists(Path.Combine(root, "config.json"))) { cases.Add(Path.GetFullPath(root)); continue; }
            cases.AddRange(Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "config.json"))).Select(Path.GetFullPath));
        }
        return cases.Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
    }

    public static string KindOf(string caseDir)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(caseDir, "config.json")));
        return doc.RootElement.GetProperty("kind").GetString()!;
    }

    private const string KeySeparator = " @ ";

    /// <summary>
    /// xunit MemberData rows for every case of the given kinds. Each row is a key "folder-name @ full-path": xunit cuts
    /// long string arguments in display names, so the folder name goes first. <see cref="ReferenceCase"/> accepts the key.
    /// </summary>
    public static TheoryData<string> OfKinds(params string[] kinds)
    {
        var data = new TheoryData<string>();
        foreach (var c in All().Where(c => kinds.Contains(KindOf(c)))) data.Add(Path.GetFileName(c) + KeySeparator + c);
        return data;
    }

    /// <summary>The case folder of a key from <see cref="OfKinds"/> (a plain folder path is returned as is).</summary>
    public static string Resolve(string keyOrDirectory)
    {
        int i = keyOrDirectory.IndexOf(KeySeparator, StringComparison.Ordinal);
        return i < 0 ? keyOrDirectory : keyOrDirectory[(i + KeySeparator.Length)..];
    }
}
