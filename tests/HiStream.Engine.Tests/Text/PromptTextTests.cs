using System.Text;
using HiStream.Engine.Text;

namespace HiStream.Engine.Tests.Text;

public sealed class PromptTextTests
{
    [Theory]
    [InlineData("  a   red\t\nfox  ", "a red fox")]
    [InlineData("fish &amp;amp; chips", "fish & chips")] // unescaped twice, as the reference does
    [InlineData("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>")]
    [InlineData("caf&eacute;\u00a0noir", "café noir")]
    [InlineData("一只熊猫　在竹林里", "一只熊猫 在竹林里")] // ideographic space is whitespace too
    public void CleansLikeWan(string raw, string cleaned) => Assert.Equal(cleaned, PromptCleaner.Clean(raw));

    [Fact]
    public void PromptFileSkipsBlankLinesAndKeepsLineNumbers()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("a fox\r\n\r\n  \nРыжая лиса\n一只熊猫")).ToArray();
        var lines = PromptFile.Parse(bytes, "prompts.txt");
        Assert.Equal(new[] { (1, "a fox"), (4, "Рыжая лиса"), (5, "一只熊猫") }, lines.Select(l => (l.LineNumber, l.Text)));
    }

    [Fact]
    public void InvalidUtf8NamesTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("a fox\nа boat\nbad ").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes(" bytes\nfine\n")).ToArray();
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<InvalidDataException>(() => PromptFile.Read(path));
            Assert.Contains($"{path}, line 3", ex.Message);
            Assert.Contains("0xC3", ex.Message);
            Assert.Contains("UTF-8", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Latin1FileIsRefusedNotMangled()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PromptFile.Parse(Encoding.Latin1.GetBytes("caf\u00e9 au lait"), "latin1.txt"));
        Assert.Contains("line 1", ex.Message);
    }
}
