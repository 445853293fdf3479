using HiStream.Engine.Caching;
using HiStream.Engine.Models;
using TorchSharp;

namespace HiStream.Engine.Tests.Models;

public sealed class CausalForwardTests
{
    private static WanDiT SeededTiny()
    {
        var model = new WanDiT(WanConfig.Tiny);
        SeededInitializer.Initialize(model, 11);
        return model;
    }

    [Fact]
    public void CrossAttentionKeysAreComputedOnceAndReusedUntilReset()
    {
        using var model = SeededTiny();
        var g = new torch.Generator(2, torch.CPU);
        using var x = torch.randn(new long[] { 1, 16, 1, 4, 6 }, generator: g);
        using var ctxA = torch.randn(new long[] { 1, 5, 32 }, generator: g);
        using var ctxB = torch.randn(new long[] { 1, 5, 32 }, generator: g);
        using var t = torch.full(new long[] { 1, 1 }, 500f);

        torch.Tensor Run(CrossAttentionCache cross, torch.Tensor context)
        {
            using var kv = new KvCache(model.Config, 1, 6, KvWindow.Global, 1, torch.CPU, torch.ScalarType.Float32);
            return model.ForwardCausal(x, t, context, kv, cross, 0);
        }

        using var cross = new CrossAttentionCache(model.Config, 1, torch.CPU, torch.ScalarType.Float32);
        Assert.False(cross.IsInitialized);
        using var a = Run(cross, ctxA);
        Assert.True(cross.IsInitialized);
        using var stillA = Run(cross, ctxB);            // context B is ignored: keys come from the cache
        Assert.True(a.equal(stillA).all().item<bool>());
        cross.Reset();
        using var b = Run(cross, ctxB);
        Assert.True((a - b).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void CausalChunkWithEmptyCacheEqualsBidirectionalForward()
    {
        using var model = SeededTiny();
        var g = new torch.Generator(4, torch.CPU);
        using var x = torch.randn(new long[] { 1, 16, 3, 4, 6 }, generator: g);
        using var ctx = torch.randn(new long[] { 1, 7, 32 }, generator: g);
        using var t = torch.full(new long[] { 1, 3 }, 731f);
        using var kv = new KvCache(model.Config, 1, 6, KvWindow.Global, 3, torch.CPU, torch.ScalarType.Float32);
        using var cross = new CrossAttentionCache(model.Config, 1, torch.CPU, torch.ScalarType.Float32);
        using var causal = model.ForwardCausal(x, t, ctx, kv, cross, 0);
        using var bidirectional = model.Forward(x, torch.tensor(new[] { 731f }), ctx);
        Assert.True((causal - bidirectional).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void CacheMadeForAnotherGridOrModelIsRefused()
    {
        using var model = SeededTiny();
        using var x = torch.zeros(new long[] { 1, 16, 3, 4, 6 });
        using var t = torch.zeros(1, 3);
        using var ctx = torch.zeros(1, 4, 32);
        using var cross = new CrossAttentionCache(model.Config, 1, torch.CPU, torch.ScalarType.Float32);
        using var otherGrid = new KvCache(model.Config, 1, 8, KvWindow.Global, 3, torch.CPU, torch.ScalarType.Float32);
        Assert.Contains("tokens per frame", Assert.Throws<ArgumentException>(() => model.ForwardCausal(x, t, ctx, otherGrid, cross, 0)).Message);
        using var otherBatch = new KvCache(model.Config, 2, 6, KvWindow.Global, 3, torch.CPU, torch.ScalarType.Float32);
        Assert.Contains("batch", Assert.Throws<ArgumentException>(() => model.ForwardCausal(x, t, ctx, otherBatch, cross, 0)).Message);
        using var bf16Cache = new KvCache(model.Config, 1, 6, KvWindow.Global, 3, torch.CPU, torch.ScalarType.BFloat16);
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => model.ForwardCausal(x, t, ctx, bf16Cache, cross, 0)).Message);
        using var kv = new KvCache(model.Config, 1, 6, KvWindow.Global, 3, torch.CPU, torch.ScalarType.Float32);
        using var bf16Cross = new CrossAttentionCache(model.Config, 1, torch.CPU, torch.ScalarType.BFloat16);
        Assert.Contains("Cross-attention cache", Assert.Throws<ArgumentException>(() => model.ForwardCausal(x, t, ctx, kv, bf16Cross, 0)).Message);
        using var longText = torch.zeros(1, 17, 32);
        Assert.Contains("text_len", Assert.Throws<ArgumentException>(() => model.Forward(x, t, longText)).Message);
        using var odd = torch.zeros(new long[] { 1, 16, 3, 5, 6 });
        Assert.Contains("patch size", Assert.Throws<ArgumentException>(() => model.Forward(odd, t, ctx)).Message);
    }
}
