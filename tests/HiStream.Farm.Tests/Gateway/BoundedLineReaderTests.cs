using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Gateway;

/// <summary>The manifest line reader splits lines as <see cref="TextReader.ReadLine"/> does, and reports a line over its
/// bound instead of building it.</summary>
public sealed class BoundedLineReaderTests
{
    private static async Task<List<BoundedLine>> ReadAllAsync(string text, int maxChars)
    {
        var reader = new BoundedLineReader(new StringReader(text), maxChars);
        var lines = new List<BoundedLine>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines.Add(line);
            if (line.TooLong) break;
        }
        return lines;
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\r\nb\r\n")]
    [InlineData("a\rb\r\r\nc\n\n")]
    [InlineData("")]
    [InlineData("\n")]
    public async Task LinesSplitLikeTextReader(string text)
    {
        var expected = new List<string>();
        using (var reference = new StringReader(text))
            while (reference.ReadLine() is { } line) expected.Add(line);
        var lines = await ReadAllAsync(text, 100);
        Assert.Equal(expected, lines.Select(l => l.Text));
        Assert.DoesNotContain(lines, l => l.TooLong);
    }

    [Fact]
    public async Task ALineOverTheBoundIsReportedNotBuilt()
    {
        // Longer than the reader's 8192-character buffer, so the bound is checked across reads.
        var lines = await ReadAllAsync("short\n" + new string('x', 20_000) + "\nafter", 10_000);
        Assert.Equal([new BoundedLine("short", false), new BoundedLine("", true)], lines);
        Assert.Single(await ReadAllAsync(new string('y', 10_000), 10_000)); // exactly the bound is fine
    }
}
