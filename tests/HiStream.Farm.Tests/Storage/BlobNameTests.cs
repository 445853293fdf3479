using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace HiStream.Farm.Tests.Storage;

/// <summary>Every store refuses every container or name that could mean a path outside it, before touching anything.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobNameTests(AzuriteFixture azurite)
{
    public static TheoryData<string, string> Hostile => new()
    {
        { "/tmp", "secret.txt" }, { "..", "x" }, { ".", "x" }, { "a/b", "x" }, { "ABC", "x" }, { "a", "x" }, { "a--b", "x" }, { "-ab", "x" }, { "ok-container", "/etc/passwd" },
        { "ok-container", "../x" }, { "ok-container", "a/../../x" }, { "ok-container", "a/./b" }, { "ok-container", "a//b" }, { "ok-container", "a/" },
        { "ok-container", "a\\..\\b" }, { "ok-container", "a\u0000b" }, { "ok-container", "line\nbreak" }, { "ok-container", "" },
        { "ok-container", new string('a', 1025) },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task EveryStoreRefusesNamesThatCouldLeaveIt(string container, string name)
    {
        var root = Directory.CreateTempSubdirectory("histream-names-").FullName;
        var stores = new IBlobStore[] { new LocalFolderBlobStore(Path.Combine(root, "store")), azurite.CreateStore() };
        foreach (var store in stores)
        {
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.PutAsync(container, name, BinaryData.FromString("x"), "text/plain"));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.TryCreateAsync(container, name, BinaryData.FromString("x"), "text/plain"));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.TryReadAsync(container, name));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.TryOpenReadAsync(container, name));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.ExistsAsync(container, name));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.DeleteAsync(container, name));
            await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.TryGetReadUrlAsync(container, name, DateTimeOffset.UtcNow.AddMinutes(1)));
            Assert.Throws<InvalidBlobNameException>(() => store.GetUri(container, name));
        }
        // Nothing was written anywhere below the sandbox but the (empty) store folder.
        Assert.Empty(Directory.GetFiles(root, "*", SearchOption.AllDirectories));
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task ListingPrefixesAreCheckedToo()
    {
        var store = new LocalFolderBlobStore(Directory.CreateTempSubdirectory("histream-names-").FullName);
        await Assert.ThrowsAsync<InvalidBlobNameException>(async () => { await foreach (var _ in store.ListAsync("ok-container", "../")) { } });
        await Assert.ThrowsAsync<InvalidBlobNameException>(async () => { await foreach (var _ in store.ListAsync("/etc", "")) { } });
        await Assert.ThrowsAsync<InvalidBlobNameException>(async () => { await foreach (var _ in azurite.CreateStore().ListAsync("ok-container", "a/../b/")) { } });
        Assert.Null(BlobNames.PrefixError("job/"));
        Assert.NotNull(BlobNames.NameError("\ud800x")); // an unpaired surrogate (not expressible as theory data)
        Assert.NotNull(BlobNames.NameError("x\udc00"));
        Assert.Null(BlobNames.NameError("tenants/acme/job-1/000001-abc/chunks/0000.safetensors"));
        Assert.Null(BlobNames.ContainerError("histream-results"));
    }

    [Fact]
    public void TheRefusalCrossesAGrainCallAsItself()
    {
        // A store inside a grain can refuse a name: the gateway must get the same exception (a 400), not a codec error (a 500).
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(InvalidBlobNameException).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new InvalidBlobNameException("name", "Blob name is empty.")));
        var refused = Assert.IsType<InvalidBlobNameException>(copy);
        Assert.StartsWith("Blob name is empty.", refused.Message);
    }
}
