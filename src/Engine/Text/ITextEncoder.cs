using TorchSharp;

namespace HiStream.Engine.Text;

/// <summary>Prompt to DiT text context.</summary>
public interface ITextEncoder
{
    /// <summary>Identifies the weights and tokenizer, for metadata and cache keys.</summary>
    string ModelId { get; }

    /// <returns>Context rows [L, text_dim] for the real tokens (L &lt;= text_len), float32 on the CPU.</returns>
    TextEncoding Encode(string prompt);
}

/// <param name="Truncated">True when the prompt had more tokens than text_len and was cut.</param>
public sealed record TextEncoding(torch.Tensor Context, int TokenCount, bool Truncated);
