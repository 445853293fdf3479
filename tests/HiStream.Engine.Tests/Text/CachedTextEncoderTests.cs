using HiStream.Engine.Text;
using HiStream.Engine.Tests.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Tests.Text;

public sealed class CachedTextEncoderTests
{
    private static UmT5TextEncoder Demo() => UmT5TextEncoder.RandomDemo(dim: 16, textLen: 32, seed: 3, torch.CPU);

    [Fact]
    public void RepeatedPromptIsEncodedOnce()
    {
        using var inner = Demo();
        using var cache = new CachedTextEncoder(inner, capacity: 4);
        var a = cache.Encode("A red fox runs across a snowy field.");
        var b = cache.Encode("A red fox runs across a snowy field.");
        var c = cache.Encode("  A red fox   runs across a snowy field. "); // same after cleaning
        Assert.Equal(1, inner.Invocations);
        Assert.Equal((2L, 1L), (cache.Hits, cache.Misses));
        Assert.True(a.Context.SameBits(b.Context));
        Assert.True(a.Context.SameBits(c.Context));
        a.Context.Dispose(); // callers own their copies
        Assert.Equal(b.Context.shape, cache.Encode("A red fox runs across a snowy field.").Context.shape);
    }

    [Fact]
    public void LeastRecentlyUsedPromptIsEvicted()
    {
        using var inner = Demo();
        using var cache = new CachedTextEncoder(inner, capacity: 2);
        cache.Encode("one fox");
        cache.Encode("two foxes");
        cache.Encode("one fox");      // hit: "two foxes" is now the oldest
        cache.Encode("three foxes");  // evicts "two foxes"
        Assert.Equal(3, inner.Invocations);
        Assert.Equal(2, cache.Count);
        cache.Encode("one fox");
        Assert.Equal(3, inner.Invocations);
        cache.Encode("two foxes");
        Assert.Equal(4, inner.Invocations);
    }

    [Fact]
    public void KeyIncludesTheEncoderModelId()
    {
        using var a = UmT5TextEncoder.RandomDemo(dim: 16, textLen: 32, seed: 3, torch.CPU);
        using var b = UmT5TextEncoder.RandomDemo(dim: 16, textLen: 32, seed: 4, torch.CPU);
        Assert.NotEqual(a.ModelId, b.ModelId);
    }

    [Fact]
    public void ConcurrentEncodesAgreeWithSerialOnes()
    {
        using var inner = Demo();
        using var cache = new CachedTextEncoder(inner, capacity: 8);
        var prompts = new[] { "a fox", "a boat", "a lantern", "Рыжая лиса", "一只熊猫" };
        var expected = prompts.ToDictionary(p => p, p => inner.Encode(p).Context);
        long before = inner.Invocations;
        Parallel.For(0, 50, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var p = prompts[i % prompts.Length];
            using var ctx = cache.Encode(p).Context;
            Assert.True(expected[p].SameBits(ctx), p);
        });
        Assert.Equal(50, cache.Hits + cache.Misses);
        Assert.InRange(inner.Invocations - before, prompts.Length, prompts.Length * 4);
        Assert.Equal(prompts.Length, cache.Count);
    }

    [Fact]
    public void CapacityMustBePositive()
    {
        using var inner = Demo();
        Assert.Throws<ArgumentOutOfRangeException>(() => new CachedTextEncoder(inner, 0));
    }
}
