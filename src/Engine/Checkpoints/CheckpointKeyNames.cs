namespace HiStream.Engine.Checkpoints;

/// <summary>Maps checkpoint key names to module key names (Self-Forcing wrapper and FSDP prefixes).</summary>
public static class CheckpointKeyNames
{
    private static readonly string[] WrapperSegments = { "_fsdp_wrapped_module.", "_checkpoint_wrapped_module." };

    public static string Normalize(string key)
    {
        foreach (var w in WrapperSegments) key = key.Replace(w, "", StringComparison.Ordinal);
        if (key.StartsWith("model.", StringComparison.Ordinal)) key = key["model.".Length..];
        return key;
    }
}
