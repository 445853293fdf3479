using HiStream.Engine.Checkpoints;
using HiStream.Engine.Vae;

namespace HiStream.Engine.Tests.Vae;

public sealed class WanVaeCheckpointTests
{
    [Theory]
    [InlineData("weights.pth")]
    [InlineData("weights.safetensors")]
    public void CheckpointFilesLoadAndDecodeLikeTheReference(string file)
    {
        using var c = VaeFixture.TinyCase();
        var path = Path.Combine(c.Directory, file);
        using var model = WanVaeCheckpoint.Load(path, WanVaeConfig.FromJson(c.ModelConfig));
        Assert.Equal(path, model.WeightsSource);
        var call = c.Calls[0];
        using var raw = StreamingWanVaeDecoder.DecodeAll(model, c.Tensor(call, "z"), normalization: VaeFixture.Normalization(c, call));
        c.AssertClose(call, "video_raw", raw);
    }

    [Fact]
    public void PthAndSafetensorsBindIdenticalWeights()
    {
        using var c = VaeFixture.TinyCase();
        using var fromPth = WanVaeCheckpoint.Load(Path.Combine(c.Directory, "weights.pth"), WanVaeConfig.Tiny);
        using var fromSafetensors = WanVaeCheckpoint.Load(c.WeightsPath, WanVaeConfig.Tiny);
        var a = fromPth.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in fromSafetensors.named_parameters()) Assert.True(VaeFixture.Same(a[name], p), name);
    }

    [Fact]
    public void WrongLayoutNamesTheKeyAndMissingFileIsClear()
    {
        using var c = VaeFixture.TinyCase();
        var e = Assert.Throws<InvalidDataException>(() => WanVaeCheckpoint.Load(Path.Combine(c.Directory, "weights.pth"), WanVaeConfig.Wan21));
        Assert.Contains("decoder.conv1.weight", e.Message);
        Assert.Throws<FileNotFoundException>(() => WanVaeCheckpoint.Load(Path.Combine(c.Directory, "nope.pth")));
        // A DiT checkpoint is not a VAE: every decoder key is missing and its keys are unknown.
        var dit = ReferenceCasesPath("wan-dit-tiny", "weights.safetensors");
        var e2 = Assert.Throws<InvalidDataException>(() => WanVaeCheckpoint.Load(dit, WanVaeConfig.Tiny));
        Assert.Contains("missing decoder keys", e2.Message);
        Assert.Contains("unknown keys", e2.Message);
    }

    private static string ReferenceCasesPath(string caseName, string file) =>
        Path.Combine(Reference.ReferenceCases.CommittedRoot, caseName, file);
}
