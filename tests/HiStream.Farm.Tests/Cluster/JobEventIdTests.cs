using Azure;
using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Jobs;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>SSE clients resume with <c>Last-Event-ID</c>, so an event id must never be handed out twice: while the
/// progress journal refuses appends (longer than the retries) and across a reactivation of the job grain, a watcher
/// receives strictly increasing ids, and the events after the outage reach it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class JobEventIdTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task EventIdsAWatcherReceivesStayStrictlyIncreasingThroughAJournalOutageAndAReactivation()
    {
        const string jobId = "eventids";
        int outage = 0, refused = 0;
        var store = new FaultInjectingBlobStore(azurite.CreateStore(), call =>
        {
            if (call.Operation != nameof(FaultInjectingBlobStore.AppendAsync) || !call.Name.StartsWith($"events/{jobId}/", StringComparison.Ordinal) || Volatile.Read(ref outage) == 0) return null;
            Interlocked.Increment(ref refused);
            return new RequestFailedException(503, "injected: journal unavailable");
        });
        // No silo renders (the job stays queued, only control events are written); two attempts per append.
        await using var farm = await FarmCluster.StartAsync(azurite, [1], o =>
        {
            o.RetryAttempts = 2;
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(10);
        }, settingsOverride: new Dictionary<string, string?> { ["Farm:Render"] = "false" }, resultStore: store);
        await farm.Submitter().SubmitAsync(Prompts.Job(jobId), ManifestSources.Inline(Prompts.Items(1)), default);
        var job = farm.Grains.GetGrain<IJobGrain>(jobId);
        var watcher = new Watcher(job);

        await job.SetPriorityAsync(1);
        await watcher.WaitForAsync("priority 1");

        // An outage longer than the retries, then storage comes back: the event waits unseen and goes with the next one.
        await FailJournalAsync(() => job.SetPriorityAsync(2));
        await watcher.ReadAsync();
        Volatile.Write(ref outage, 0);
        await job.SetPriorityAsync(3);
        await watcher.WaitForAsync("priority 3");
        Assert.Contains("priority 2", watcher.Messages);

        // An outage during which the job grain deactivates: the unstored event is lost unseen, and the next activation
        // continues after the ids the watcher has.
        await FailJournalAsync(() => job.SetPriorityAsync(4));
        await watcher.ReadAsync();
        await farm.Cluster.DeactivateAsync(job);
        Volatile.Write(ref outage, 0);
        await job.SetPriorityAsync(5);
        await watcher.WaitForAsync("priority 5");

        Assert.True(watcher.Ids.Zip(watcher.Ids.Skip(1)).All(p => p.First < p.Second), $"ids not strictly increasing: {string.Join(", ", watcher.Ids)}");
        // Every id the watcher saw is stored with the event it saw, so no later activation can hand it out again.
        var stored = await new ProgressJournal(farm.Blobs, farm.Farm.JobsContainer, jobId).ReadAsync(0, watcher.Ids.Max(), 1000);
        Assert.Equal(watcher.Ids.Zip(watcher.Messages), watcher.Ids.Select(id => (id, stored.Single(e => e.Sequence == id).Message)));

        async Task FailJournalAsync(Func<Task> change)
        {
            int before = Volatile.Read(ref refused);
            Volatile.Write(ref outage, 1);
            await change();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Volatile.Read(ref refused) < before + farm.Farm.RetryAttempts && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(Volatile.Read(ref refused) >= before + farm.Farm.RetryAttempts, "the journal appends were not refused");
        }
    }

    /// <summary>Reads the job's events as an SSE client does: each read starts after the last id it received.</summary>
    private sealed class Watcher(IJobGrain job)
    {
        private long _last;

        public List<long> Ids { get; } = [];
        public List<string?> Messages { get; } = [];

        public async Task ReadAsync(TimeSpan wait = default)
        {
            var batch = await job.GetEventsAsync(_last, 1000, wait);
            foreach (var e in batch.Events)
            {
                Ids.Add(e.Sequence);
                Messages.Add(e.Message);
            }
            _last = Math.Max(_last, batch.LastSequence);
        }

        public async Task WaitForAsync(string message)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!Messages.Contains(message) && DateTime.UtcNow < deadline) await ReadAsync(TimeSpan.FromSeconds(1));
            Assert.True(Messages.Contains(message), $"'{message}' did not arrive; received ids {string.Join(", ", Ids)}: {string.Join(" | ", Messages)}");
        }
    }
}
