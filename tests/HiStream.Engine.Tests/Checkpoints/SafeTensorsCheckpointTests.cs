using HiStream.Engine.Checkpoints;
using TorchSharp;

namespace HiStream.Engine.Tests.Checkpoints;

public sealed class SafeTensorsCheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(torch.ScalarType.Float32)]
    [InlineData(torch.ScalarType.BFloat16)]
    [InlineData(torch.ScalarType.Float16)]
    [InlineData(torch.ScalarType.Int64)]
    public void RoundTripsBitExactly(torch.ScalarType dtype)
    {
        var gen = new torch.Generator(1234);
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["a.weight"] = (torch.randn(new long[] { 5, 7 }, generator: gen) * 3).to(dtype),
            ["a.bias"] = torch.randn(new long[] { 7 }, generator: gen).to(dtype),
            ["scalar"] = torch.tensor(2.5f).to(dtype),
            ["empty"] = torch.zeros(new long[] { 0, 3 }).to(dtype),
            ["transposed"] = torch.randn(new long[] { 3, 4 }, generator: gen).to(dtype).t(), // non-contiguous input
        };
        var path = _dir.File($"rt-{dtype}.safetensors");
        SafeTensorsFile.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(CheckpointFormat.SafeTensors, CheckpointLoader.DetectFormat(path));
        var back = CheckpointLoader.LoadStateDict(path);
        Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(dtype, back[name].dtype);
            Assert.Equal(t.shape, back[name].shape);
            Assert.True(t.contiguous().bytes.SequenceEqual(back[name].bytes), name);
        }
    }

    [Fact]
    public void PrefixedSafetensorsSelectGeneratorEmaAndConvert()
    {
        var path = _dir.File("sf.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, torch.Tensor>
        {
            ["generator.model.w"] = torch.full(3, 2f),
            ["generator_ema.model.w"] = torch.full(3, 1f),
            ["generator_ema.model._checkpoint_wrapped_module.v"] = torch.full(2, 5f),
        });
        using var f = CheckpointLoader.Open(path, new CheckpointSelection(DType: torch.ScalarType.BFloat16));
        Assert.Equal("generator_ema", f.SubDictionary);
        Assert.Equal(new[] { "v", "w" }, f.Tensors.Select(t => t.Name).Order());
        Assert.Equal(torch.ScalarType.Float32, f.Info("w").DType);
        using var w = f.Read("w");
        Assert.Equal(torch.ScalarType.BFloat16, w.dtype);
        Assert.Equal(1f, w[0].to(torch.ScalarType.Float32).item<float>());
        var gen = CheckpointLoader.LoadStateDict(path, new CheckpointSelection("generator"));
        Assert.Equal(new[] { "w" }, gen.Keys);
        Assert.Equal(2f, gen["w"][0].item<float>());
    }

    [Fact]
    public void KeysCollidingAfterNormalisationAreAnError()
    {
        var path = _dir.File("clash.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, torch.Tensor> { ["model.w"] = torch.ones(1), ["w"] = torch.ones(1) });
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Open(path));
        Assert.Contains("'model.w'", ex.Message);
    }
}
