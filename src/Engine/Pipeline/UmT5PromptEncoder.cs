using HiStream.Engine.Text;
using TorchSharp;

namespace HiStream.Engine.Pipeline;

/// <summary><see cref="ITextEncoder"/> from a tokenizer and the umT5 encoder: the real tokens (eos included) run
/// unpadded, which gives the same rows as the reference's padded, masked run (padding keys are masked out and the
/// position bias depends only on distance).</summary>
public sealed class UmT5PromptEncoder : ITextEncoder
{
    private readonly UmT5EncoderModel _model;
    private readonly IPromptTokenizer _tokenizer;

    public UmT5PromptEncoder(UmT5EncoderModel model, IPromptTokenizer tokenizer, string modelId)
    {
        _model = model;
        _tokenizer = tokenizer;
        ModelId = modelId;
    }

    public string ModelId { get; }

    public TextEncoding Encode(string prompt)
    {
        var (ids, truncated) = _tokenizer.Tokenize(prompt, _model.Config.TextLen);
        using var scope = torch.NewDisposeScope();
        using var input = torch.tensor(ids, new long[] { 1, ids.Length });
        var hidden = _model.call(input, null);
        var context = hidden[0].to(torch.ScalarType.Float32, torch.CPU, copy: true).MoveToOuterDisposeScope();
        return new TextEncoding(context, ids.Length, truncated);
    }
}
