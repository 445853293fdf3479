using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Jobs;
using HiStream.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace HiStream.Farm.Tests.Storage;

/// <summary>Appends (results manifest, progress journal) on Azurite's append blobs and on the local folder: concurrent
/// appenders never lose or interleave a line; the journal continues its sequence in a new writer (a reactivated job
/// grain) and serves history older than its memory from storage.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AppendBlobTests(AzuriteFixture azurite, Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Stores => new() { "azure", "local" };

    private IBlobStore Store(string kind) => kind == "azure" ? azurite.CreateStore() : new LocalFolderBlobStore(Directory.CreateTempSubdirectory("histream-append-").FullName);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ConcurrentAppendsKeepEveryLineWhole(string kind)
    {
        var store = Store(kind);
        var container = $"append-{Guid.NewGuid():N}"[..20];
        var payload = new string('x', 3000);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => store.AppendAsync(container, "job/results.jsonl", BinaryData.FromString($"{i:D3} {payload}\n")))));
        var lines = (await store.TryReadAsync(container, "job/results.jsonl"))!.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(40, lines.Length);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"{i:D3} {payload}"), lines.Order());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TheProgressJournalReadsPastEventsThatWereNeverStored(string kind)
    {
        var store = Store(kind);
        var container = $"events-{Guid.NewGuid():N}"[..20];
        ProgressEvent Event(long seq) => new(seq, "job-a", $"v{seq}", 0, ProgressKind.Chunk, 1, 2, 0.5, "silo", null, DateTimeOffset.UnixEpoch);
        var journal = new ProgressJournal(store, container, "job-a");
        // Events 3..20,000 were dropped in an outage: a gap to the end of a segment and over the whole next one.
        await journal.AppendAsync([Event(1), Event(2)]);
        await journal.AppendAsync([Event(2 * ProgressJournal.SegmentSize + 1), Event(2 * ProgressJournal.SegmentSize + 2)]);

        var read = await journal.ReadAsync(2, 2 * ProgressJournal.SegmentSize + 2, 10);

        Assert.Equal([2L * ProgressJournal.SegmentSize + 1, 2L * ProgressJournal.SegmentSize + 2], read.Select(e => e.Sequence));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TheProgressJournalContinuesItsSequenceAndServesOldHistory(string kind)
    {
        var store = Store(kind);
        var container = $"events-{Guid.NewGuid():N}"[..20];
        ProgressEvent Event(long seq) => new(seq, "job-a", $"v{seq}", (int)seq, ProgressKind.Chunk, 1, 2, 0.5, "silo", null, DateTimeOffset.UnixEpoch);

        var first = new JobEventWriter(new ProgressLog(4), new ProgressJournal(store, container, "job-a"), new FarmRetry(new FarmOptions()), NullLogger.Instance);
        await first.RestoreAsync(default);
        for (int i = 0; i < 10; i++) first.Append(Event);
        await first.FlushAsync(default);

        // A new activation: the sequence continues at 11, and events 1..6 (no longer in its 4-event memory) come from storage.
        var log = new ProgressLog(4);
        var second = new JobEventWriter(log, new ProgressJournal(store, container, "job-a"), new FarmRetry(new FarmOptions()), NullLogger.Instance);
        await second.RestoreAsync(default);
        Assert.Equal(10, log.LastSequence);
        Assert.Equal(10, log.DurableSequence);
        Assert.Equal(11, second.Append(Event).Sequence);
        Assert.Empty(log.After(10, 10)); // not readable before it is stored
        await second.FlushAsync(default);
        var all = new List<ProgressEvent>();
        long after = 0;
        while (await second.ReadAsync(after, 3) is { Length: > 0 } page)
        {
            all.AddRange(page);
            after = page[^1].Sequence;
        }
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal("v3", all[2].VideoId);

        // Event latency (printed, not asserted): from Append to readable, one event at a time.
        var latencies = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var appended = second.Append(Event);
            await second.FlushAsync(default);
            Assert.True(log.DurableSequence >= appended.Sequence);
            latencies.Add(sw.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        output.WriteLine($"{kind}: event append-to-readable latency median {latencies[10]:F1} ms, max {latencies[^1]:F1} ms (20 events)");
    }
}
