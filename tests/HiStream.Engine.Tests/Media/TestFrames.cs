using TorchSharp;

namespace HiStream.Engine.Tests.Media;

internal static class TestFrames
{
    /// <summary>Smooth, moving colour gradients (easy on the codec, so a round trip stays close): uint8 [n, h, w, 3].</summary>
    public static torch.Tensor Gradient(int n, int h, int w, int firstFrame = 0)
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(firstFrame, firstFrame + n, dtype: torch.ScalarType.Float32).reshape(n, 1, 1);
        var y = torch.arange(h, dtype: torch.ScalarType.Float32).reshape(1, h, 1) / Math.Max(1, h - 1);
        var x = torch.arange(w, dtype: torch.ScalarType.Float32).reshape(1, 1, w) / Math.Max(1, w - 1);
        var r = (x * 200 + t * 2).expand(n, h, w);
        var g = (y * 200 + 20).expand(n, h, w);
        var b = ((x + y) * 100 + 30 - t).expand(n, h, w);
        var rgb = torch.stack([r, g, b], 3).clamp(0, 255).round().to(torch.ScalarType.Byte);
        return rgb.MoveToOuterDisposeScope();
    }
}

/// <summary>A fresh folder under the system temp dir, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "histream-media-" + Guid.NewGuid().ToString("N")));

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
