using HiStream.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HiStream.Engine.Tests.Checkpoints;

public sealed class ModuleWeightsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Tiny : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> proj;
        private readonly TorchSharp.Modules.Parameter scale;

        public Tiny() : base("tiny")
        {
            proj = nn.Linear(3, 2);
            scale = new TorchSharp.Modules.Parameter(torch.ones(2));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => proj.call(x) * scale;
    }

    private static Dictionary<string, Tensor> Good() => new()
    {
        ["proj.weight"] = torch.arange(6, dtype: ScalarType.Float32).reshape(2, 3),
        ["proj.bias"] = torch.tensor(new float[] { 1, 2 }),
        ["scale"] = torch.tensor(new float[] { 3, 4 }),
    };

    [Fact]
    public void CopiesEveryTensor()
    {
        using var m = new Tiny();
        ModuleWeights.LoadStrict(m, Good());
        Assert.True(m.state_dict()["proj.weight"].SameBits(Good()["proj.weight"]));
        Assert.Equal(new float[] { 3, 4 }, m.state_dict()["scale"].data<float>().ToArray());
    }

    [Fact]
    public void StreamsFromACheckpointFileWithDTypeConversion()
    {
        var path = _dir.File("tiny.safetensors");
        SafeTensorsFile.Save(path, Good().ToDictionary(kv => "model." + kv.Key, kv => kv.Value.to(ScalarType.BFloat16)));
        using var m = new Tiny();
        using var f = CheckpointLoader.Open(path);
        ModuleWeights.LoadStrict(m, f);
        Assert.Equal(ScalarType.Float32, m.state_dict()["scale"].dtype);
        Assert.Equal(new float[] { 3, 4 }, m.state_dict()["scale"].data<float>().ToArray());
    }

    [Fact]
    public void MissingExtraAndMisshapedKeysAreNamed()
    {
        var sd = Good();
        sd.Remove("proj.bias");
        sd["proj.extra"] = torch.ones(1);
        sd["scale"] = torch.ones(3);
        using var m = new Tiny();
        var before = m.state_dict()["proj.weight"].clone();
        var ex = Assert.Throws<InvalidDataException>(() => ModuleWeights.LoadStrict(m, sd));
        Assert.Contains("missing key 'proj.bias'", ex.Message);
        Assert.Contains("unexpected key 'proj.extra'", ex.Message);
        Assert.Contains("key 'scale' has shape [3]", ex.Message);
        Assert.True(m.state_dict()["proj.weight"].SameBits(before), "nothing is copied when the check fails");
    }
}
