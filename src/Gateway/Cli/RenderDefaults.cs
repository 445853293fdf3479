namespace HiStream.Gateway.Cli;

/// <summary>What <c>histream render</c> uses when an item and the command line leave it open: the <c>histream</c>
/// sampler (the product), and with the seeded-random tiny model (no <c>Engine:DitWeights</c>) a small size that
/// HiStream accepts (multiples of 32 for its dual resolution), because on a CPU 832x480x81 takes minutes per video
/// (the VAE decode dominates). Settings already given win.</summary>
public static class RenderDefaults
{
    public const string Sampler = "histream";
    public const int TinyWidth = 256, TinyHeight = 160, TinyFrames = 33;

    public static void Apply(IDictionary<string, string?> settings)
    {
        settings.TryAdd("Gateway:Limits:DefaultSampler", Sampler);
        if (settings.ContainsKey("Engine:DitWeights")) return;
        settings.TryAdd("Gateway:Limits:DefaultWidth", TinyWidth.ToString());
        settings.TryAdd("Gateway:Limits:DefaultHeight", TinyHeight.ToString());
        settings.TryAdd("Gateway:Limits:DefaultFrames", TinyFrames.ToString());
    }
}
