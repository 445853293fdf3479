using HiStream.Engine.Random;
using TorchSharp;

namespace HiStream.Engine.Tests.Random;

public sealed class NoiseSourceTests
{
    [Fact]
    public void SameKeyGivesTheSameNoiseWhateverRanBefore()
    {
        var source = new NoiseSource();
        var key = new NoiseKey(42, 3, 2, NoisePurpose.Renoise);
        using var a = source.Draw(key, new long[] { 1, 16, 3, 8, 12 });
        using var other = source.Draw(key with { Chunk = 4 }, new long[] { 1, 16, 3, 8, 12 });
        using var unrelated = torch.randn(1000);               // the global generator must not matter
        using var b = new NoiseSource().Draw(key, new long[] { 1, 16, 3, 8, 12 });
        Assert.True(a.equal(b).all().item<bool>());
        Assert.Equal(torch.ScalarType.Float32, a.dtype);
        Assert.Equal(DeviceType.CPU, a.device_type);
        Assert.InRange(a.std().item<float>(), 0.9f, 1.1f);
    }

    [Fact]
    public void EveryFieldOfTheKeyChangesTheNoise()
    {
        var source = new NoiseSource();
        var key = new NoiseKey(7, 1, 1, NoisePurpose.Renoise);
        using var baseline = source.Draw(key, new long[] { 64 });
        foreach (var changed in new[] { key with { Seed = 8 }, key with { Chunk = 2 }, key with { Step = 2 }, key with { Purpose = NoisePurpose.InitialLatent } })
        {
            using var n = source.Draw(changed, new long[] { 64 });
            Assert.False(n.equal(baseline).all().item<bool>(), $"{changed} gave the same noise as {key}");
        }
    }

    [Fact]
    public void HashAndDrawsArePinned()
    {
        // Changing the hash (or a libtorch upgrade changing CPU randn) would change every seeded video and make stored
        // runs resume with different noise: this test says so before it ships.
        Assert.Equal(0xFB28FEFF1D98BEE9UL, NoiseSource.StableHash(new NoiseKey(0, 0, 0, NoisePurpose.InitialLatent)));
        Assert.Equal(0x964E5F2E0E0873C2UL, NoiseSource.StableHash(new NoiseKey(1, 2, 3, NoisePurpose.Renoise)));
        using var t = new NoiseSource().Draw(new NoiseKey(1, 2, 3, NoisePurpose.Renoise), new long[] { 4 });
        Assert.Equal(new[] { -0.015926404f, -0.14557046f, -0.6800111f, 0.27822265f }, t.data<float>().ToArray());
    }
}
