using HiStream.Engine.Checkpoints;
using HiStream.Engine.Tests.Reference;

namespace HiStream.Engine.Tests.Checkpoints;

/// <summary>Damaged or foreign files give an error that names the file, never a crash or garbage weights.</summary>
public sealed class CorruptCheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Fixture(string caseName, string file) => File.ReadAllBytes(Path.Combine(ReferenceCases.CommittedRoot, caseName, file));

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.01)]
    public void TruncatedTorchFileNamesTheFile(double keep)
    {
        var bytes = Fixture("wan-dit-tiny", "weights.pt");
        var path = _dir.File("truncated.pt");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadStateDict(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void CorruptedStorageBytesAreDetected()
    {
        var bytes = Fixture("wan-dit-tiny", "weights.pt");
        // flip bytes in the middle of the archive, inside stored tensor data; the zip CRC catches it
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5a;
        var path = _dir.File("corrupt.pt");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadStateDict(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("CRC-32", ex.Message);
    }

    [Fact]
    public void TruncatedSafetensorsNamesTheFile()
    {
        var bytes = Fixture("wan-dit-tiny", "weights.safetensors");
        var path = _dir.File("truncated.safetensors");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadStateDict(path));
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, "neither")]
    [InlineData(new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0, 0 }, "legacy")]
    public void ForeignFilesAreNamedAndExplained(byte[] content, string expected)
    {
        var path = _dir.File("foreign.bin");
        File.WriteAllBytes(path, content);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void MissingFileIsReported()
    {
        var path = _dir.File("nope.pt");
        var ex = Assert.Throws<FileNotFoundException>(() => CheckpointLoader.Open(path));
        Assert.Contains(path, ex.Message);
    }
}
