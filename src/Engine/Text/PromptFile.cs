using System.Text;

namespace HiStream.Engine.Text;

/// <summary>One prompt of a prompt file, with its 1-based line number for messages.</summary>
public sealed record PromptLine(int LineNumber, string Text);

/// <summary>
/// Reads a prompt file: UTF-8 (a BOM is allowed), one prompt per line, blank lines skipped. Invalid UTF-8 is an error
/// naming the file, line and column rather than a silently replaced character.
/// </summary>
public static class PromptFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IReadOnlyList<PromptLine> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Prompt file '{path}' does not exist.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static IReadOnlyList<PromptLine> Parse(ReadOnlySpan<byte> content, string source)
    {
        if (content.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) content = content[3..];
        var prompts = new List<PromptLine>();
        int lineNumber = 0;
        while (content.Length > 0 || lineNumber == 0)
        {
            lineNumber++;
            int nl = content.IndexOf((byte)'\n');
            var line = nl < 0 ? content : content[..nl];
            content = nl < 0 ? ReadOnlySpan<byte>.Empty : content[(nl + 1)..];
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            string text;
            try { text = StrictUtf8.GetString(line); }
            catch (DecoderFallbackException ex)
            {
                int column = ex.Index >= 0 ? ex.Index + 1 : 1;
                var bad = ex.BytesUnknown is { Length: > 0 } b ? string.Join(" ", b.Select(x => $"0x{x:X2}")) : "?";
                throw new InvalidDataException($"{source}, line {lineNumber}: invalid UTF-8 (byte {bad} at byte column {column}). Save the file as UTF-8.", ex);
            }
            if (!string.IsNullOrWhiteSpace(text)) prompts.Add(new PromptLine(lineNumber, text));
            if (nl < 0) break;
        }
        return prompts;
    }
}
