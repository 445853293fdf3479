using HiStream.Engine.Checkpoints;
using HiStream.Engine.Tests.Reference;
using HiStream.Engine.Text;
using TorchSharp;
using Xunit.Abstractions;

namespace HiStream.Engine.Tests.Text;

/// <summary>Replays every umt5-encoder fixture case call by call against Wan2.1's T5Encoder outputs.</summary>
public sealed class UmT5ReferenceParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases() => ReferenceCases.OfKinds("umt5-encoder");

    internal static UmT5Config ConfigOf(ReferenceCase c)
    {
        var m = c.ModelConfig;
        Assert.False(m.TryGetProperty("shared_pos", out var shared) && shared.GetBoolean(), "only the umT5 layout (shared_pos false) is implemented");
        return new UmT5Config(
            Vocab: m.GetProperty("vocab").GetInt32(),
            Dim: m.GetProperty("dim").GetInt32(),
            DimAttn: m.GetProperty("dim_attn").GetInt32(),
            DimFfn: m.GetProperty("dim_ffn").GetInt32(),
            NumHeads: m.GetProperty("num_heads").GetInt32(),
            NumLayers: m.GetProperty("num_layers").GetInt32(),
            NumBuckets: m.GetProperty("num_buckets").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReplaysEveryCall(string caseDir)
    {
        using var c = new ReferenceCase(caseDir);
        using var model = new UmT5EncoderModel(ConfigOf(c), torch.ScalarType.Float32, torch.CPU);
        using (var file = CheckpointLoader.Open(c.WeightsPath)) ModuleWeights.LoadStrict(model, file);

        foreach (var call in c.Calls)
        {
            Assert.Equal("forward", call.Method);
            var ids = c.Tensor(call, "ids");
            var mask = c.Tensor(call, "mask");
            using var hidden = model.call(ids, mask);
            foreach (var name in call.CheckedOutputs)
            {
                if (name != "hidden") throw new InvalidOperationException($"{c.Name}: unknown output '{name}'");
                c.AssertClose(call, name, hidden);
                output.WriteLine($"{c.Name} call {call.Index}: max |hidden - ref| = {(hidden - c.Tensor(call, name)).abs().max().item<float>():G3}");
            }
            for (int layer = 0; layer < model.Config.NumLayers; layer++)
            {
                var name = $"dbg.block{layer}.pos_bias";
                if (call.Outputs.Contains(name))
                {
                    using var bias = model.PositionBias(layer, ids.shape[1]);
                    c.AssertClose(call, name, bias);
                }
            }
        }
    }
}
