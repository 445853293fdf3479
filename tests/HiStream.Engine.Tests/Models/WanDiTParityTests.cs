using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Models;

public sealed class WanDiTParityTests
{
    public static TheoryData<string> Cases => ReferenceCases.OfKinds("wan-dit");

    [Theory]
    [MemberData(nameof(Cases))]
    public void BidirectionalForwardMatchesReference(string caseDir)
    {
        using var c = new ReferenceCase(caseDir);
        using var model = FixtureModels.Load(c);
        Assert.NotEmpty(c.Calls);
        foreach (var call in c.Calls)
        {
            Assert.Equal("forward", call.Method);
            using var scope = torch.NewDisposeScope();
            var x = c.Tensor(call, "x").unsqueeze(0);
            var t = c.Tensor(call, "t");
            var context = c.Tensor(call, "context").unsqueeze(0);
            var dbg = new Dictionary<string, torch.Tensor>();
            var output = model.Forward(x, t, context, (name, value) => dbg[name] = value.clone().DetachFromDisposeScope());
            // Intermediate activations first: a mismatch there says where a bug is.
            foreach (var name in call.Outputs.Where(o => o.StartsWith("dbg.", StringComparison.Ordinal)))
            {
                var key = name["dbg.".Length..];
                Assert.True(dbg.ContainsKey(key), $"the model reported no activation '{key}'");
                var expected = c.Tensor(call, name);
                var mine = dbg[key];
                // The port embeds timesteps per frame ([B·F, ·]); the reference has one row per sample.
                if (key.StartsWith("time_", StringComparison.Ordinal)) mine = mine.view(expected.shape[0], -1, expected.shape[1]).select(1, 0);
                c.AssertClose(call, name, mine.reshape(expected.shape));
            }
            foreach (var name in call.CheckedOutputs)
            {
                Assert.Equal("out", name);
                c.AssertClose(call, name, output.squeeze(0));
            }
        }
    }
}
