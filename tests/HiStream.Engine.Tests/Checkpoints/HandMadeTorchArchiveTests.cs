using System.Text;
using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>Archives written by hand: views into shared storages, newer-PyTorch records and opcodes, refused globals.</summary>
public sealed class HandMadeTorchArchiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One storage of 12 floats 0..11 seen as: the whole [3,4] matrix, its transpose, and row 1 via an offset.</summary>
    private static (byte[] Pickle, Dictionary<string, byte[]> Storages) SharedStorageViews(bool protocol4)
    {
        var p = new PickleBuilder().Proto(protocol4 ? (byte)4 : (byte)2);
        if (protocol4) p.Frame(0);
        p.StackGlobalOr(protocol4, "collections", "OrderedDict").EmptyTuple().Reduce();
        if (protocol4) p.Memoize();
        p.Mark();
        p.Str("model._fsdp_wrapped_module.whole").Tensor("FloatStorage", "0", 12, 0, new long[] { 3, 4 }, new long[] { 4, 1 }, protocol4);
        p.Str("transposed").Tensor("FloatStorage", "0", 12, 0, new long[] { 4, 3 }, new long[] { 1, 4 }, protocol4);
        p.Str("row1").Tensor("FloatStorage", "0", 12, 4, new long[] { 4 }, new long[] { 1 }, protocol4);
        p.Str("every_other").Tensor("FloatStorage", "0", 12, 1, new long[] { 2, 2 }, new long[] { 6, 2 }, protocol4);
        p.SetItems().Stop();
        var storage = TorchZipBuilder.Floats(Enumerable.Range(0, 12).Select(i => (float)i).ToArray());
        return (p.ToArray(), new Dictionary<string, byte[]> { ["0"] = storage });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StridedAndOffsetViewsReadAsPyTorchWould(bool protocol4)
    {
        var (pkl, storages) = SharedStorageViews(protocol4);
        var path = _dir.File("views.pt");
        var extra = new Dictionary<string, byte[]>
        {
            [".format_version"] = Encoding.ASCII.GetBytes("1"),
            ["byteorder"] = Encoding.ASCII.GetBytes("little"),
            [".data/serialization_id"] = Encoding.ASCII.GetBytes("0123456789"),
            ["version"] = Encoding.ASCII.GetBytes("3\n"),
        };
        TorchZipBuilder.Write(path, "archive", pkl, storages, extra);

        var sd = CheckpointLoader.LoadStateDict(path);
        var m = torch.arange(12, dtype: torch.ScalarType.Float32).reshape(3, 4);
        Assert.Equal(new[] { "every_other", "row1", "transposed", "whole" }, sd.Keys.Order(StringComparer.Ordinal));
        Assert.True(sd["whole"].SameBits(m));
        Assert.True(sd["transposed"].SameBits(m.t()));
        Assert.True(sd["transposed"].is_contiguous());
        Assert.True(sd["row1"].SameBits(m[1]));
        Assert.True(sd["every_other"].SameBits(torch.tensor(new float[] { 1, 3, 7, 9 }).reshape(2, 2)));
        // views never alias each other: writing one leaves the others alone
        sd["whole"].add_(100);
        Assert.Equal(1f, sd["transposed"][1, 0].item<float>());
    }

    [Fact]
    public void NestedDictsParametersAndModuleMetadataLoad()
    {
        // {"generator": OrderedDict(w=Parameter), "critic": {...}, "generator_ema": OrderedDict(model.w) with _metadata via BUILD, "step": 7}
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark();
        p.Str("generator").Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Str("model.w").Global("torch._utils", "_rebuild_parameter").Mark()
            .Tensor("FloatStorage", "g", 2, 0, new long[] { 2 }, new long[] { 1 }).Op(0x88).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce().SetItem();
        p.Str("generator_ema").Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .EmptyDict().Str("_metadata").Global("collections", "OrderedDict").EmptyTuple().Reduce().SetItem().Build()
            .Str("model.w").Tensor("FloatStorage", "e", 2, 0, new long[] { 2 }, new long[] { 1 }).SetItem();
        p.Str("step").Int(7);
        p.SetItems().Stop();
        var path = _dir.File("nested.pt");
        TorchZipBuilder.Write(path, "nested", p.ToArray(), new Dictionary<string, byte[]>
        {
            ["g"] = TorchZipBuilder.Floats(2, 4),
            ["e"] = TorchZipBuilder.Floats(1, 2),
        });

        var ema = CheckpointLoader.LoadStateDict(path);
        Assert.Equal(new[] { 1f, 2f }, ema["w"].data<float>().ToArray());
        var gen = CheckpointLoader.LoadStateDict(path, new CheckpointSelection("generator"));
        Assert.Equal(new[] { 2f, 4f }, gen["w"].data<float>().ToArray());
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("torch.nn.modules.linear", "Linear")]
    [InlineData("__builtin__", "exec")]
    public void ForbiddenGlobalIsRefusedBeforeAnythingRuns(string module, string name)
    {
        var p = new PickleBuilder().Proto(2).Global(module, name).Str("echo pwned").Op(0x85).Reduce().Stop();
        var path = _dir.File("evil.pt");
        TorchZipBuilder.Write(path, "evil", p.ToArray(), new Dictionary<string, byte[]>());
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadStateDict(path));
        Assert.Contains($"'{module}.{name}'", ex.Message);
        Assert.Contains("refusing", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void ForbiddenStackGlobalIsRefused()
    {
        var p = new PickleBuilder().Proto(4).StackGlobal("subprocess", "Popen").Stop();
        var path = _dir.File("evil4.pt");
        TorchZipBuilder.Write(path, "archive", p.ToArray(), new Dictionary<string, byte[]>());
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("'subprocess.Popen'", ex.Message);
    }

    [Fact]
    public void ViewPastTheEndOfItsStorageIsRejected()
    {
        var p = new PickleBuilder().Proto(2).EmptyDict()
            .Str("w").Tensor("FloatStorage", "0", 4, 2, new long[] { 3 }, new long[] { 1 }).SetItem().Stop();
        var path = _dir.File("oob.pt");
        TorchZipBuilder.Write(path, "oob", p.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3, 4) });
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("reaches element 4", ex.Message);
    }

    [Fact]
    public void StorageRecordShorterThanDeclaredIsAnError()
    {
        var p = new PickleBuilder().Proto(2).EmptyDict()
            .Str("w").Tensor("FloatStorage", "0", 8, 0, new long[] { 8 }, new long[] { 1 }).SetItem().Stop();
        var path = _dir.File("short.pt");
        TorchZipBuilder.Write(path, "short", p.ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZipBuilder.Floats(1, 2, 3) });
        using var f = CheckpointLoader.Open(path);
        var ex = Assert.Throws<InvalidDataException>(() => f.Read("w"));
        Assert.Contains("storage '0'", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("model/constants.pkl", "TorchScript")]
    [InlineData("model/readme.txt", "no data.pkl")]
    [InlineData("model/nested/data.pkl", "no data.pkl")]
    public void ZipThatIsNotATorchSaveFileIsExplained(string entry, string expected)
    {
        var path = _dir.File("other.zip");
        using (var fs = File.Create(path))
        using (var zip = new System.IO.Compression.ZipArchive(fs, System.IO.Compression.ZipArchiveMode.Create))
        using (var s = zip.CreateEntry(entry).Open()) s.Write(new byte[] { 1, 2, 3 });
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void BigEndianArchiveIsRefused()
    {
        var (pkl, storages) = SharedStorageViews(false);
        var path = _dir.File("be.pt");
        TorchZipBuilder.Write(path, "be", pkl, storages, new Dictionary<string, byte[]> { ["byteorder"] = Encoding.ASCII.GetBytes("big") });
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("big", ex.Message);
    }

    [Fact]
    public void BuildOnAnythingButADictOrTensorIsRefused()
    {
        var p = new PickleBuilder().Proto(2).Op((byte)']').EmptyDict().Build().Stop();
        var path = _dir.File("build.pt");
        TorchZipBuilder.Write(path, "build", p.ToArray(), new Dictionary<string, byte[]>());
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("BUILD", ex.Message);
    }
}

internal static class PickleBuilderExtensions
{
    public static PickleBuilder StackGlobalOr(this PickleBuilder p, bool stack, string module, string name)
        => stack ? p.StackGlobal(module, name) : p.Global(module, name);
}
