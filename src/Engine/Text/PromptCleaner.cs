using System.Net;
using System.Text.RegularExpressions;

namespace HiStream.Engine.Text;

/// <summary>
/// Wan2.1's prompt cleaning (clean='whitespace'): HTML-unescape twice, strip, collapse whitespace runs to one space,
/// strip. The reference first runs ftfy.fix_text (mojibake and odd-Unicode repair), which has no C# equivalent; it is
/// skipped, so a prompt with mojibake ("cafÃ©") is encoded as written instead of repaired.
/// </summary>
public static partial class PromptCleaner
{
    public static string Clean(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(prompt)).Trim();
        return Whitespace().Replace(text, " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
