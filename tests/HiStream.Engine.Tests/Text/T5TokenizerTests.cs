using HiStream.Engine.Text;

namespace HiStream.Engine.Tests.Text;

/// <summary>Token ids must equal spm_encode's on a SentencePiece model built with spm_train (see TestData/README.md).</summary>
public sealed class T5TokenizerTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Text", "TestData", name);

    public static TheoryData<int, string, string> Lines()
    {
        var inputs = File.ReadAllLines(Data("inputs.txt"));
        var expected = File.ReadAllLines(Data("expected-ids.txt"));
        Assert.Equal(inputs.Length, expected.Length);
        var rows = new TheoryData<int, string, string>();
        for (int i = 0; i < inputs.Length; i++) rows.Add(i + 1, inputs[i], expected[i]);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void IdsEqualSpmEncode(int line, string input, string expectedIds)
    {
        var tok = T5Tokenizer.FromFile(Data("multilingual.model"));
        var expected = expectedIds.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var actual = tok.EncodeRaw(input).ToArray();
        Assert.True(expected.SequenceEqual(actual), $"line {line}: expected [{string.Join(" ", expected)}], got [{string.Join(" ", actual)}]");
    }

    [Fact]
    public void ReadsT5SpecialIdsFromTheModel()
    {
        var tok = T5Tokenizer.FromFile(Data("multilingual.model"));
        Assert.Equal((0, 1, 2), (tok.PadId, tok.EosId, tok.UnkId));
        Assert.Equal(640, tok.VocabSize);
        Assert.StartsWith("spm:", tok.ModelId);
    }

    [Fact]
    public void AppendsEosWithoutBos()
    {
        var tok = T5Tokenizer.FromFile(Data("multilingual.model"));
        var raw = tok.EncodeRaw("A red fox").ToArray();
        var t = tok.Tokenize("A red fox", 512);
        Assert.Equal(raw.Append(1).ToArray(), t.Ids);
        Assert.False(t.Truncated);
    }

    [Fact]
    public void TruncationKeepsEosAndIsReported()
    {
        var tok = T5Tokenizer.FromFile(Data("multilingual.model"));
        var text = string.Join(" ", Enumerable.Repeat("A red fox runs across a snowy field.", 40));
        var raw = tok.EncodeRaw(text).ToArray();
        Assert.True(raw.Length > 16);
        var t = tok.Tokenize(text, 16);
        Assert.True(t.Truncated);
        Assert.Equal(16, t.Ids.Length);
        Assert.Equal(raw.Take(15).Append(1).ToArray(), t.Ids);
        Assert.Equal(raw.Length + 1, t.UntruncatedLength);
        Assert.False(tok.Tokenize(text, raw.Length + 1).Truncated);
        Assert.True(tok.Tokenize(text, raw.Length).Truncated);
    }

    [Fact]
    public void BuiltInDemoTokenizerRunsTheSameCodePath()
    {
        var tok = T5Tokenizer.BuiltInDemo();
        Assert.StartsWith("builtin-demo-spm:", tok.ModelId);
        Assert.Equal((0, 1, 2), (tok.PadId, tok.EosId, tok.UnkId));
        var t = tok.Tokenize("一只熊猫 in the snow 🦊", 64);
        Assert.Equal(1, t.Ids[^1]);
        Assert.All(t.Ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
        Assert.Equal("一只熊猫 in the snow 🦊", tok.Decode(t.Ids));
    }

    [Fact]
    public void NotASentencePieceModelIsAClearError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[] { 0xff, 0xff, 0xff });
            var ex = Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path));
            Assert.Contains(path, ex.Message);
        }
        finally { File.Delete(path); }
    }

    /// <summary>If a newer Microsoft.ML.Tokenizers loads T5-style models unpatched, SentencePieceModelPatch can go.</summary>
    [Fact]
    public void UnpatchedModelStillBreaksTheLibrary()
    {
        using var s = File.OpenRead(Data("multilingual.model"));
        Assert.ThrowsAny<Exception>(() => Microsoft.ML.Tokenizers.SentencePieceTokenizer.Create(s, addBeginningOfSentence: false, addEndOfSentence: false));
    }
}
