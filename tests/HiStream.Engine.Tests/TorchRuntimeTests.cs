using HiStream.Engine;
using TorchSharp;

namespace HiStream.Engine.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = torch.matmul(a, b);
        Assert.Equal(3f, c[1, 2].item<float>());
    }

    [Fact]
    public void UnknownDTypeIsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDType("int3"));
        Assert.Contains("int3", ex.Message);
    }
}
