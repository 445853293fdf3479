using System.IO.Compression;
using HiStream.Engine.Checkpoints;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>
/// Pickles and archives built to hurt a reader (see bench/checkpoints/make-malicious.py for the full set): each
/// must end in a clear InvalidDataException, never a stack overflow, a runaway allocation or an endless walk.
/// </summary>
public sealed class HostileTorchArchiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Archive(PickleBuilder p, Dictionary<string, byte[]>? storages = null)
    {
        var path = _dir.File("hostile.pt");
        TorchZipBuilder.Write(path, "archive", p.ToArray(), storages ?? new Dictionary<string, byte[]>());
        return path;
    }

    private static PickleBuilder OneTensor(PickleBuilder p, long storageNumel, long[] size, long[] stride)
        => p.Tensor("FloatStorage", "0", storageNumel, 0, size, stride);

    private static Dictionary<string, byte[]> FourFloats() => new() { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4) };

    [Fact]
    public void AMillionNestedDictsAreRefusedWithoutOverflowingTheStack()
    {
        const int depth = 1_000_000;
        var p = new PickleBuilder().Proto(2);
        for (int i = 0; i < depth; i++) p.EmptyDict().Str("a");
        p.EmptyDict();
        for (int i = 0; i < depth; i++) p.SetItem();
        var path = Archive(p.Stop());
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("nested deeper than 32 levels", ex.Message);
    }

    [Fact]
    public void ADictThatHoldsItselfIsRefused()
    {
        // {"generator_ema": d} with d = {"w": tensor, "again": d}
        var p = new PickleBuilder().Proto(2).EmptyDict().Str("generator_ema").EmptyDict().Op((byte)'q').Op(0);
        OneTensor(p.Str("w"), 4, [4], [1]).SetItem();
        p.Str("again").Op((byte)'h').Op(0).SetItem().SetItem().Stop();
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(Archive(p, FourFloats())));
        Assert.Contains("shared or cyclic", ex.Message);
    }

    [Fact]
    public void ASelfHoldingDictWithoutTensorsIsReportedAsHoldingNone()
    {
        var p = new PickleBuilder().Proto(2).EmptyDict().Str("x").EmptyDict().Op((byte)'q').Op(0)
            .Str("again").Op((byte)'h').Op(0).SetItem().SetItem().Stop();
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(Archive(p)));
        Assert.Contains("contains no tensors", ex.Message);
    }

    [Fact]
    public void DictsSharedThroughTheMemoAreRefusedInsteadOfExpandedExponentially()
    {
        // d0 = {"w": tensor}; d(k+1) = {"a": dk, "b": dk}: 2^30 paths to one tensor, unless shared dicts are refused
        const int levels = 30;
        var p = new PickleBuilder().Proto(2).EmptyDict();
        OneTensor(p.Str("w"), 4, [4], [1]).SetItem().Op((byte)'q').Op(0).Op((byte)'0');
        for (byte k = 0; k < levels; k++)
        {
            p.EmptyDict().Str("a").Op((byte)'h').Op(k).SetItem().Str("b").Op((byte)'h').Op(k).SetItem();
            p.Op((byte)'q').Op((byte)(k + 1)).Op((byte)'0');
        }
        p.EmptyDict().Str("generator_ema").Op((byte)'h').Op(levels).SetItem().Stop();
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(Archive(p, FourFloats())));
        Assert.Contains("shared or cyclic", ex.Message);
    }

    [Fact]
    public void TheLargestMemoIndexIsJustAnotherKey()
    {
        var p = new PickleBuilder().Proto(2).EmptyDict().Op((byte)'r').Op(0xff).Op(0xff).Op(0xff).Op(0xff);
        OneTensor(p.Str("w"), 4, [4], [1]).SetItem().Op((byte)'0').Op((byte)'j').Op(0xff).Op(0xff).Op(0xff).Op(0xff).Stop();
        var sd = CheckpointLoader.LoadStateDict(Archive(p, FourFloats()));
        Assert.Equal(new float[] { 1, 2, 3, 4 }, sd["w"].data<float>().ToArray());
    }

    [Fact]
    public void AViewWhoseLastIndexOverflowsIsRefused()
    {
        // (2^32 + 1 elements) x stride 2^32 wraps a 64-bit index back to 0, which would pass a naive bounds check
        var p = OneTensor(new PickleBuilder().Proto(2).EmptyDict().Str("w"), 4, [(1L << 32) + 1], [1L << 32]).SetItem().Stop();
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(Archive(p, FourFloats())));
        Assert.Contains("overflows 64-bit element indices", ex.Message);
    }

    [Fact]
    public void AnExpandedViewLargerThanItsStorageIsRefused()
    {
        // 2^31 elements of stride 0 over 4 floats: 8 GB once made contiguous
        var p = OneTensor(new PickleBuilder().Proto(2).EmptyDict().Str("w"), 4, [1L << 31], [0]).SetItem().Stop();
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(Archive(p, FourFloats())));
        Assert.Contains("more than its storage", ex.Message);
    }

    [Fact]
    public void AStorageElementCountThatOverflowsBytesIsRefused()
    {
        // 2^62 floats are 2^64 bytes, which wraps to 0 in 64 bits
        var p = OneTensor(new PickleBuilder().Proto(2).EmptyDict().Str("w"), 1L << 62, [4], [1]).SetItem().Stop();
        using var file = CheckpointLoader.Open(Archive(p, FourFloats()));
        var ex = Assert.Throws<InvalidDataException>(() => file.Read("w"));
        Assert.Contains("too few for its 4611686018427387904 Float32 elements", ex.Message);
    }

    [Theory]
    [InlineData("archive/data.pkl")]
    [InlineData("archive/data/0")]
    public void AHighlyCompressedRecordIsRefusedAsAZipBomb(string bomb)
    {
        const int zeros = 8 << 20; // 8 MiB of zeros deflate to about 8 KiB
        var path = _dir.File("bomb.pt");
        var pickle = OneTensor(new PickleBuilder().Proto(2).EmptyDict().Str("w"), zeros / 4, [zeros / 4], [1]).SetItem().Stop().ToArray();
        using (var fs = File.Create(path))
        using (var zip = new ZipArchive(fs, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry(name, name == bomb ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("archive/data.pkl", bomb == "archive/data.pkl" ? [.. pickle, .. new byte[zeros]] : pickle);
            Add("archive/data/0", new byte[zeros]);
        }
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadStateDict(path));
        Assert.Contains($"record '{bomb}' expands from", ex.Message);
        Assert.Contains("zip bomb", ex.Message);
    }
}
