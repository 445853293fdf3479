using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Storage;

/// <summary>The same contract for the Azure store (on Azurite) and the local folder store.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobStoreTests(AzuriteFixture azurite)
{
    public static TheoryData<string> Stores => new() { "azure", "local" };

    private IBlobStore Create(string kind) => kind == "azure"
        ? azurite.CreateStore()
        : new LocalFolderBlobStore(Directory.CreateTempSubdirectory("histream-blobs-").FullName);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task CreateOnlyWritesOnce(string kind)
    {
        var store = Create(kind);
        var container = $"c-{Guid.NewGuid():N}"[..12];
        Assert.True(await store.TryCreateAsync(container, "a/b/one.bin", BinaryData.FromString("first"), "text/plain"));
        Assert.False(await store.TryCreateAsync(container, "a/b/one.bin", BinaryData.FromString("second"), "text/plain"));
        Assert.Equal("first", (await store.TryReadAsync(container, "a/b/one.bin"))!.ToString());
        await store.PutAsync(container, "a/b/one.bin", BinaryData.FromString("third"), "text/plain");
        Assert.Equal("third", (await store.TryReadAsync(container, "a/b/one.bin"))!.ToString());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ListsByPrefixInNameOrder(string kind)
    {
        var store = Create(kind);
        var container = $"c-{Guid.NewGuid():N}"[..12];
        foreach (var name in new[] { "job/v2/x", "job/v1/y", "job/v1/chunks/0000.bin", "other/z" })
            await store.PutAsync(container, name, BinaryData.FromString(name), "text/plain");
        var names = new List<string>();
        await foreach (var e in store.ListAsync(container, "job/")) names.Add(e.Name);
        Assert.Equal(["job/v1/chunks/0000.bin", "job/v1/y", "job/v2/x"], names);
        var none = new List<string>();
        await foreach (var e in store.ListAsync($"missing-{Guid.NewGuid():N}"[..15], "")) none.Add(e.Name);
        Assert.Empty(none);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task MissingBlobsReadAsNullAndDeleteIsIdempotent(string kind)
    {
        var store = Create(kind);
        var container = $"c-{Guid.NewGuid():N}"[..12];
        Assert.Null(await store.TryReadAsync(container, "nothing"));
        Assert.Null(await store.TryOpenReadAsync(container, "nothing"));
        Assert.False(await store.ExistsAsync(container, "nothing"));
        await store.PutAsync(container, "x", BinaryData.FromString("1"), "text/plain");
        await store.DeleteAsync(container, "x");
        await store.DeleteAsync(container, "x");
        Assert.False(await store.ExistsAsync(container, "x"));
    }

    [Fact]
    public async Task LocalStoreRefusesNamesOutsideItsFolder()
    {
        var store = new LocalFolderBlobStore(Path.GetTempPath());
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("c", "../escape", BinaryData.Empty, "x"));
        Assert.Throws<ArgumentException>(() => store.GetUri("c", "a/../../b"));
    }

    [Fact]
    public void TransientErrorsAreRetriedAndAnswersAreNot()
    {
        Assert.True(BlobRetry.IsTransient(new Azure.RequestFailedException(503, "busy")));
        Assert.True(BlobRetry.IsTransient(new Azure.RequestFailedException(429, "throttled")));
        Assert.True(BlobRetry.IsTransient(new HttpRequestException("reset")));
        Assert.False(BlobRetry.IsTransient(new Azure.RequestFailedException(409, "exists")));
        Assert.False(BlobRetry.IsTransient(new Azure.RequestFailedException(412, "etag")));
        Assert.False(BlobRetry.IsTransient(new Azure.RequestFailedException(404, "missing")));
    }
}
