namespace HiStream.Grains.Storage;

/// <summary>The one place that decides whether a container or blob name is acceptable, for every store. The rules are
/// Azure's naming rules, narrowed so that no name can mean a path outside the store: containers are 3-63 lower-case
/// letters, digits and single '-' (so never '/', '.', '..' or an absolute path); blob names are relative, '/'-separated,
/// without empty, '.' or '..' segments, backslashes, control characters or unpaired surrogates, and at most 1024
/// characters. Stores call <see cref="CheckContainer"/> and <see cref="CheckName"/> on every operation; the gateway
/// calls <see cref="ContainerError"/> and <see cref="NameError"/> to name the field in a 400.</summary>
public static class BlobNames
{
    public const int MaxNameLength = 1024;
    public const int MaxSegments = 254;

    /// <summary>Why <paramref name="container"/> is not a valid container name, or null when it is.</summary>
    public static string? ContainerError(string? container)
    {
        if (string.IsNullOrEmpty(container)) return "is empty.";
        if (container.Length is < 3 or > 63) return $"'{Clip(container)}' must have 3-63 characters.";
        foreach (var c in container)
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                return $"'{Clip(container)}' may only contain lower-case letters, digits and '-'.";
        if (container[0] == '-' || container[^1] == '-' || container.Contains("--", StringComparison.Ordinal))
            return $"'{Clip(container)}' must start and end with a letter or digit and have no '--'.";
        return null;
    }

    /// <summary>Why <paramref name="name"/> is not a valid blob name, or null when it is.</summary>
    public static string? NameError(string? name) => PathError(name, allowTrailingSlash: false);

    /// <summary>Why <paramref name="prefix"/> is not a valid listing prefix (empty, or a name that may end in '/').</summary>
    public static string? PrefixError(string? prefix) => string.IsNullOrEmpty(prefix) ? null : PathError(prefix, allowTrailingSlash: true);

    public static void CheckContainer(string container)
    {
        if (ContainerError(container) is { } error) throw new InvalidBlobNameException(nameof(container), $"Container {error}");
    }

    public static void CheckName(string name)
    {
        if (NameError(name) is { } error) throw new InvalidBlobNameException(nameof(name), $"Blob name {error}");
    }

    public static void CheckPrefix(string prefix)
    {
        if (PrefixError(prefix) is { } error) throw new InvalidBlobNameException(nameof(prefix), $"Prefix {error}");
    }

    private static string? PathError(string? name, bool allowTrailingSlash)
    {
        if (string.IsNullOrEmpty(name)) return "is empty.";
        if (name.Length > MaxNameLength) return $"has {name.Length} characters; the limit is {MaxNameLength}.";
        if (name[0] == '/') return $"'{Clip(name)}' is absolute; it must be a relative name.";
        for (int i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c) || c is '\\' or '\uFFFE' or '\uFFFF')
                return $"'{Clip(name)}' contains a control character or a backslash (position {i}).";
            if (char.IsHighSurrogate(c) && (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1])) || char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(name[i - 1])))
                return $"'{Clip(name)}' contains an unpaired surrogate (position {i}).";
        }
        var body = allowTrailingSlash && name.EndsWith('/') ? name[..^1] : name;
        if (body.Length == 0) return $"'{Clip(name)}' has an empty segment.";
        var segments = body.Split('/');
        if (segments.Length > MaxSegments) return $"has {segments.Length} segments; the limit is {MaxSegments}.";
        foreach (var segment in segments)
        {
            if (segment.Length == 0) return $"'{Clip(name)}' has an empty segment ('//' or a trailing '/').";
            if (segment is "." or "..") return $"'{Clip(name)}' has a '{segment}' segment.";
        }
        return null;
    }

    private static string Clip(string s)
    {
        var printable = new string(s.Take(60).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c).ToArray());
        return s.Length <= 60 ? printable : printable + "…";
    }
}

/// <summary>A container or blob name that no store accepts (see <see cref="BlobNames"/>). Serializable, because a store
/// inside a grain can refuse a name and the gateway must still answer 400.</summary>
[GenerateSerializer, Alias("histream.InvalidBlobNameException")]
public sealed class InvalidBlobNameException(string paramName, string message) : ArgumentException(message, paramName);
