using Azure.Storage.Blobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Storage;

namespace HiStream.Farm.Tests.Storage;

/// <summary>The grain storage provider against Azurite, after the scenarios of Orleans' storage test kit: read of a
/// missing state, write/read round trip, ETag concurrency, clear.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobGrainStorageTests(AzuriteFixture azurite)
{
    public sealed class Counter
    {
        public int Value { get; set; }
        public List<string> Items { get; set; } = [];
    }

    private sealed class TestState<T> : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull] public T State { get; set; } = default!;
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }

    private AzureBlobGrainStorage Create(string container, bool deleteOnClear = true) => new("test",
        new AzureBlobGrainStorageOptions { ConnectionString = azurite.ConnectionString, ContainerName = container, DeleteStateOnClear = deleteOnClear },
        new JsonGrainStorageSerializer(new Orleans.Serialization.OrleansJsonSerializer(Microsoft.Extensions.Options.Options.Create(new Orleans.Serialization.OrleansJsonSerializerOptions()))),
        NullLogger<AzureBlobGrainStorage>.Instance);

    private static GrainId Id(string key) => GrainId.Create("counter", key);

    [Fact]
    public async Task MissingStateReadsAsDefaultsWithoutAnETag()
    {
        var storage = Create($"gs-{Guid.NewGuid():N}"[..20]); // the container does not exist yet either
        var state = new TestState<Counter>();
        await storage.ReadStateAsync("counter", Id("a"), state);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State.Value);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
    }

    [Fact]
    public async Task WriteThenReadRoundTripsAndChangesTheETag()
    {
        var storage = Create($"gs-{Guid.NewGuid():N}"[..20]);
        var state = new TestState<Counter> { State = new Counter { Value = 7, Items = ["x", "y"] } };
        await storage.WriteStateAsync("counter", Id("b"), state);
        var first = state.ETag;
        Assert.NotNull(first);
        Assert.True(state.RecordExists);
        state.State.Value = 8;
        await storage.WriteStateAsync("counter", Id("b"), state);
        Assert.NotEqual(first, state.ETag);

        var read = new TestState<Counter>();
        await storage.ReadStateAsync("counter", Id("b"), read);
        Assert.Equal(8, read.State.Value);
        Assert.Equal(["x", "y"], read.State.Items);
        Assert.Equal(state.ETag, read.ETag);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task AStaleWriterGetsInconsistentStateAndOverwritesNothing()
    {
        var storage = Create($"gs-{Guid.NewGuid():N}"[..20]);
        var a = new TestState<Counter> { State = new Counter { Value = 1 } };
        await storage.WriteStateAsync("counter", Id("c"), a);
        var b = new TestState<Counter>();
        await storage.ReadStateAsync("counter", Id("c"), b);
        b.State.Value = 2;
        await storage.WriteStateAsync("counter", Id("c"), b); // b wins

        a.State.Value = 99;
        var stale = a.ETag;
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", Id("c"), a));
        Assert.Equal(b.ETag, ex.StoredEtag);
        Assert.Equal(stale, ex.CurrentEtag);
        var fresh = new TestState<Counter> { State = new Counter { Value = 5 } }; // no ETag: create-only, the blob exists
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", Id("c"), fresh));

        var read = new TestState<Counter>();
        await storage.ReadStateAsync("counter", Id("c"), read);
        Assert.Equal(2, read.State.Value);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClearResetsTheState(bool deleteOnClear)
    {
        var container = $"gs-{Guid.NewGuid():N}"[..20];
        var storage = Create(container, deleteOnClear);
        var state = new TestState<Counter> { State = new Counter { Value = 3 } };
        await storage.WriteStateAsync("counter", Id("d"), state);
        await storage.ClearStateAsync("counter", Id("d"), state);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State.Value);
        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(container).GetBlobClient(AzureBlobGrainStorage.BlobName("counter", Id("d")));
        Assert.Equal(!deleteOnClear, (await blob.ExistsAsync()).Value);

        var read = new TestState<Counter>();
        await storage.ReadStateAsync("counter", Id("d"), read);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State.Value);
        read.State.Value = 4;
        await storage.WriteStateAsync("counter", Id("d"), read); // writable again after a clear
    }
}
