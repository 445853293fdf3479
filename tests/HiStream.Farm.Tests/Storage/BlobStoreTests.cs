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

    [Fact]
    public async Task AContainerDeletedUnderTheAzureStoreIsCreatedAgainByTheNextWrite()
    {
        var store = azurite.CreateStore();
        var container = $"c-{Guid.NewGuid():N}"[..12];
        await store.PutAsync(container, "before.txt", BinaryData.FromString("1"), "text/plain");
        await store.Service.DeleteBlobContainerAsync(container);
        await WaitUntilGoneAsync(store, container);

        await store.PutAsync(container, "put.txt", BinaryData.FromString("2"), "text/plain");
        await store.AppendAsync(container, "append.jsonl", BinaryData.FromString("{}\n"));

        Assert.Equal("2", (await store.TryReadAsync(container, "put.txt"))!.ToString());
        Assert.Equal("{}\n", (await store.TryReadAsync(container, "append.jsonl"))!.ToString());
        Assert.Null(await store.TryReadAsync(container, "before.txt"));
    }

    /// <summary>Azure deletes a container asynchronously; Azurite at once. Either way the test starts from "gone".</summary>
    private static async Task WaitUntilGoneAsync(AzureBlobStore store, string container)
    {
        for (int i = 0; i < 50 && (await store.Service.GetBlobContainerClient(container).ExistsAsync()).Value; i++) await Task.Delay(100);
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
        await Assert.ThrowsAsync<InvalidBlobNameException>(() => store.PutAsync("ccc", "../escape", BinaryData.Empty, "x"));
        Assert.Throws<InvalidBlobNameException>(() => store.GetUri("ccc", "a/../../b"));
        Assert.Throws<InvalidBlobNameException>(() => store.GetUri("/tmp", "secret.txt"));
    }

    /// <summary>A read-only SAS URL from the account key reads the blob with no other credential, cannot write, and
    /// stops working once it expires; the plain URL needs the key.</summary>
    [Fact]
    public async Task AzureSasUrlsReadUntilTheyExpire()
    {
        var store = azurite.CreateStore();
        var container = $"c-{Guid.NewGuid():N}"[..12];
        await store.PutAsync(container, "job/v/video.mp4", BinaryData.FromString("the video"), "video/mp4");
        using var http = new HttpClient();
        Assert.False((await http.GetAsync(store.GetUri(container, "job/v/video.mp4"))).IsSuccessStatusCode);

        var expires = DateTimeOffset.UtcNow.AddSeconds(3);
        var url = await store.TryGetReadUrlAsync(container, "job/v/video.mp4", expires);
        Assert.NotNull(url);
        Assert.Contains("sp=r", url!.Query);
        var read = await http.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("the video", await read.Content.ReadAsStringAsync());
        var write = await http.PutAsync(url, new StringContent("overwritten") { Headers = { { "x-ms-blob-type", "BlockBlob" } } });
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("the video", (await store.TryReadAsync(container, "job/v/video.mp4"))!.ToString());

        // Wait for the expiry on the clock (SAS times have one-second resolution), then the same URL is refused.
        while (DateTimeOffset.UtcNow < expires.AddSeconds(1.5)) await Task.Delay(250);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.GetAsync(url)).StatusCode);

        Assert.Null(await new LocalFolderBlobStore(Directory.CreateTempSubdirectory("histream-blobs-").FullName)
            .TryGetReadUrlAsync(container, "job/v/video.mp4", expires)); // the local store has the gateway serve files instead
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
