namespace HiStream.Bench.Checkpoints;

/// <summary>The .pt readers the bench compares.</summary>
internal enum ReaderKind
{
    /// <summary>HiStream.Engine's CheckpointLoader (allow-listed pickle VM, streamed storages).</summary>
    Ours,

    /// <summary>TorchSharp.PyBridge's PyTorchUnpickler.UnpickleStateDict (Razorvine.Pickle underneath).</summary>
    PyBridge,

    /// <summary>Razorvine.Pickle's Unpickler with torch's persistent ids and rebuild functions handled here.</summary>
    Razorvine,
}
