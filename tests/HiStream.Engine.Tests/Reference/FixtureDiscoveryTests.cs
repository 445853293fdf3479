namespace HiStream.Engine.Tests.Reference;

public sealed class FixtureDiscoveryTests
{
    [Fact]
    public void CommittedFixturesCoverEveryKind()
    {
        var kinds = ReferenceCases.All().Select(ReferenceCases.KindOf).ToHashSet();
        foreach (var k in new[] { "wan-dit", "causal-wan", "flow-scheduler", "wan-vae-decoder", "umt5-encoder" })
            Assert.Contains(k, kinds);
    }

    [Fact]
    public void SafeTensorsReaderReadsFixtureWithExactShapes()
    {
        using var c = new ReferenceCase(ReferenceCases.All().First(d => d.EndsWith("wan-dit-tiny", StringComparison.Ordinal)));
        var x = c.Tensor(c.Calls[0], "x");
        Assert.Equal(new long[] { 16, 3, 8, 12 }, x.shape);
        Assert.True(x.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void FoldersFromTheEnvironmentVariableAreAddedAndAMissingOneFails()
    {
        var extraCase = Path.Combine(ReferenceCases.CommittedRoot, "flow-scheduler");
        var withCase = ReferenceCases.Discover(extraCase + Path.PathSeparator + ReferenceCases.CommittedRoot);
        Assert.Equal(ReferenceCases.Discover(null).Count, withCase.Count);

        var missing = Path.Combine(Path.GetTempPath(), "histream-no-such-fixtures-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<DirectoryNotFoundException>(() => ReferenceCases.Discover(missing));
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void CaseKeysPutTheFolderNameFirstAndResolveToTheFolder()
    {
        foreach (string key in ReferenceCases.OfKinds("causal-wan"))
        {
            var dir = ReferenceCases.Resolve(key);
            Assert.StartsWith(Path.GetFileName(dir), key);
            Assert.True(Directory.Exists(dir));
        }
    }
}
