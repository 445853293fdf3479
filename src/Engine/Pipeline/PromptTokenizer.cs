using System.Text;

namespace HiStream.Engine.Pipeline;

/// <summary>Prompt text to token ids (with the end-of-sequence id), at most <c>maxTokens</c>.</summary>
public interface IPromptTokenizer
{
    string Id { get; }
    (long[] Ids, bool Truncated) Tokenize(string prompt, int maxTokens);
}

/// <summary>The tiny random model's tokenizer: UTF-8 bytes folded into the vocabulary after the special ids
/// (pad 0, eos 1, unk 2), then eos. It only has to be deterministic; the random model gives the ids no meaning.</summary>
public sealed class ByteTokenizer(int vocab) : IPromptTokenizer
{
    private const int Eos = 1;
    private const int FirstId = 3;

    public string Id => $"bytes-mod-{vocab}";

    public (long[] Ids, bool Truncated) Tokenize(string prompt, int maxTokens)
    {
        var bytes = Encoding.UTF8.GetBytes(prompt.Normalize(NormalizationForm.FormC).Trim());
        bool truncated = bytes.Length > maxTokens - 1;
        var ids = bytes.Take(maxTokens - 1).Select(b => (long)(FirstId + b % (vocab - FirstId))).Append(Eos).ToArray();
        return (ids, truncated);
    }
}
