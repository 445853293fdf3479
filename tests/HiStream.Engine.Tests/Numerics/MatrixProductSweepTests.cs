using TorchSharp;
using Xunit.Abstractions;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Tests.Numerics;

/// <summary>
/// The DiT's and umT5's matrix products, as the engine calls them (Linear, matmul, scaled_dot_product_attention),
/// against float64 in float32 and bfloat16, at the tiny models' widths and at real widths with token counts cut down
/// (DiT: dim 1536, 12 heads of 128, FFN 8960; umT5: dim 4096, 64 heads of 64) plus odd sizes.
/// </summary>
public sealed class MatrixProductSweepTests(ITestOutputHelper output)
{
    public static TheoryData<string> DTypes => new() { "float32", "bfloat16" };

    private static torch.ScalarType Parse(string dtype) => TorchRuntime.ParseDType(dtype);

    [Theory]
    [MemberData(nameof(DTypes))]
    public void LinearMatchesFloat64(string dtypeName)
    {
        var dtype = Parse(dtypeName);
        var generator = new torch.Generator(3);
        // (tokens, in, out): tiny DiT/umT5 widths, real DiT q/k/v and FFN, umT5 projections, odd sizes.
        var shapes = new (long M, long K, long N)[] { (64, 48, 48), (64, 48, 96), (16, 32, 48), (312, 1536, 1536), (77, 1536, 8960 / 8), (13, 4096, 64), (33, 4096, 512), (7, 63, 129), (1, 1536, 256), (100, 200, 300) };
        foreach (var (m, k, n) in shapes)
        {
            using var scope = torch.NewDisposeScope();
            var (x, x64) = Float64Comparison.Random([1, m, k], dtype, generator);
            var (w, w64) = Float64Comparison.Random([n, k], dtype, generator);
            var (b, b64) = Float64Comparison.Random([n], dtype, generator);
            double error = Float64Comparison.RelativeError(F.linear(x, w, b), F.linear(x64, w64, b64));
            Assert.True(error <= Float64Comparison.Tolerance(dtype), $"{dtypeName} linear [{m}x{k}] x [{k}x{n}]: relative error {error:g3}");
            output.WriteLine($"{dtypeName} linear {m}x{k}x{n}: {error:g2}");
        }
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void BatchedMatmulMatchesFloat64(string dtypeName)
    {
        var dtype = Parse(dtypeName);
        var generator = new torch.Generator(4);
        // umT5's attention logits and weighted sum per head ([B, heads, L, d]), tiny and real head sizes.
        var shapes = new (long Heads, long L, long D)[] { (2, 16, 16), (64, 32, 64), (8, 77, 64), (3, 9, 24) };
        foreach (var (heads, len, d) in shapes)
        {
            using var scope = torch.NewDisposeScope();
            var (q, q64) = Float64Comparison.Random([1, heads, len, d], dtype, generator);
            var (k, k64) = Float64Comparison.Random([1, heads, len, d], dtype, generator);
            double error = Float64Comparison.RelativeError(q.matmul(k.transpose(-1, -2)), q64.matmul(k64.transpose(-1, -2)));
            Assert.True(error <= Float64Comparison.Tolerance(dtype), $"{dtypeName} matmul heads {heads} L {len} d {d}: relative error {error:g3}");
            output.WriteLine($"{dtypeName} matmul {heads}x{len}x{d}: {error:g2}");
        }
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void AttentionMatchesFloat64(string dtypeName)
    {
        var dtype = Parse(dtypeName);
        var generator = new torch.Generator(6);
        // (heads, queries, keys, head dim): tiny DiT (24), real DiT chunk against its cached window (128), umT5 (64),
        // text cross-attention (queries x 512 text tokens), the VAE's single-head attention, odd lengths.
        var shapes = new (long Heads, long Lq, long Lk, long D)[] { (2, 48, 144, 24), (2, 312, 936, 128), (4, 78, 512, 128), (8, 77, 77, 64), (1, 96, 96, 384), (3, 37, 101, 24) };
        foreach (var (heads, lq, lk, d) in shapes)
        {
            using var scope = torch.NewDisposeScope();
            var (q, q64) = Float64Comparison.Random([1, heads, lq, d], dtype, generator);
            var (k, k64) = Float64Comparison.Random([1, heads, lk, d], dtype, generator);
            var (v, v64) = Float64Comparison.Random([1, heads, lk, d], dtype, generator);
            var reference = torch.softmax(q64.matmul(k64.transpose(-1, -2)) / Math.Sqrt(d), -1).matmul(v64);
            double error = Float64Comparison.RelativeError(F.scaled_dot_product_attention(q, k, v), reference);
            Assert.True(error <= Float64Comparison.Tolerance(dtype), $"{dtypeName} attention heads {heads} {lq}x{lk} d {d}: relative error {error:g3}");
            output.WriteLine($"{dtypeName} attention {heads}x{lq}x{lk}x{d}: {error:g2}");
        }
    }
}
