using HiStream.Gateway.Jobs;

namespace HiStream.Farm.Tests.Infrastructure;

public static class Prompts
{
    private static readonly string[] Subjects =
    [
        "a red fox in fresh snow", "a lighthouse in a storm", "a paper boat on a rainy street", "clouds over mountains",
        "a hummingbird at a flower", "a neon city at night", "waves on a black sand beach", "a steam train crossing a bridge",
        "autumn leaves falling in a park", "a jellyfish in deep blue water", "a candle flickering in the dark", "a kite over green hills",
        "a waterfall in a jungle", "a desert caravan at dusk", "fireworks over a harbour", "a snail on a wet leaf",
    ];

    /// <summary>Tiny videos: 32x32 pixels, the given frame count (9 frames = 3 latent frames = one chunk).</summary>
    public static List<ItemSpec> Items(int count, int frames = 9, string size = "32x32") =>
        Enumerable.Range(0, count).Select(i => new ItemSpec { Prompt = $"{Subjects[i % Subjects.Length]}, shot {i}", Size = size, Frames = frames }).ToList();

    public static JobOptions Job(string? jobId = null, int priority = 0, string? container = null) =>
        new(jobId, priority, ["test"], container, null, new ItemSpec());
}
