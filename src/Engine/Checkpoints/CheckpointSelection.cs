using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>Which part of a checkpoint to load and how to present it.</summary>
/// <param name="SubDictionary">
/// Name of the nested state dict to load (e.g. "generator_ema", "generator"; '/' separates deeper levels).
/// Null picks automatically: "generator_ema" when present (Self-Forcing), otherwise the file's only tensor dictionary.
/// </param>
/// <param name="DType">Converts floating-point tensors to this dtype; null keeps the stored dtype.</param>
/// <param name="NormalizeKeys">Strips a leading "model." and every "_fsdp_wrapped_module." / "_checkpoint_wrapped_module.".</param>
public sealed record CheckpointSelection(string? SubDictionary = null, torch.ScalarType? DType = null, bool NormalizeKeys = true)
{
    public static CheckpointSelection Default { get; } = new();

    /// <summary>The sub-dictionary picked automatically when the file has it (Self-Forcing's EMA generator).</summary>
    public const string PreferredSubDictionary = "generator_ema";
}
