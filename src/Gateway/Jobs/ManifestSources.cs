using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using HiStream.Grains.Manifests;

namespace HiStream.Gateway.Jobs;

/// <summary>A manifest entry before validation: the item, or why its line could not be read.</summary>
public sealed record ManifestEntry(ItemSpec? Item, string Field, string? ParseError);

/// <summary>Reads items one at a time from inline lists, JSONL or one-prompt-per-line text, so a manifest of any size
/// streams through the gateway without being held in memory.</summary>
public static class ManifestSources
{
    /// <summary>The longest manifest line read. A line is one item: its prompt (<c>Gateway:Limits:MaxPromptChars</c>, 2000
    /// by default) and options fit many times over; the bound keeps an upload without line breaks (up to
    /// <c>Gateway:Quotas:MaxUploadBytes</c>) from becoming one string in the gateway's memory.</summary>
    public const int MaxLineChars = 64 * 1024;

    public static async IAsyncEnumerable<ManifestEntry> Inline(IEnumerable<ItemSpec> items)
    {
        int i = 0;
        foreach (var item in items)
        {
            yield return new ManifestEntry(item, $"items[{i}]", item is null ? "is null." : null);
            i++;
        }
        await Task.CompletedTask;
    }

    /// <summary>JSON lines (one item object per line) or, when the first non-blank line does not start with '{', one
    /// prompt per line. Blank lines are skipped (in text, so are lines starting with '#'). Fields are named by line
    /// number: <c>lines[17]</c>.</summary>
    public static async IAsyncEnumerable<ManifestEntry> Lines(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var lines = new BoundedLineReader(reader, MaxLineChars);
        bool? json = null;
        int lineNumber = 0;
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (line.TooLong)
            {
                yield return new ManifestEntry(null, $"lines[{lineNumber}]", $"is longer than {MaxLineChars} characters; the manifest was not read further.");
                yield break;
            }
            var trimmed = line.Text.Trim();
            if (trimmed.Length == 0) continue;
            json ??= trimmed.StartsWith('{');
            var field = $"lines[{lineNumber}]";
            if (json == false)
            {
                if (trimmed.StartsWith('#')) continue;
                yield return new ManifestEntry(new ItemSpec { Prompt = trimmed }, field, null);
                continue;
            }
            ItemSpec? item = null;
            string? error = null;
            try
            {
                item = JsonSerializer.Deserialize<ItemSpec>(trimmed, FarmJson.Options);
                if (item is null) error = "is not a JSON object.";
            }
            catch (JsonException ex)
            {
                error = $"is not a valid manifest item: {ex.Message}";
            }
            yield return new ManifestEntry(item, field, error);
        }
    }
}
