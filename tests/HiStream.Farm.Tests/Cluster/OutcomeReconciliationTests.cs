using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Queue;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Queue;
using Orleans.Runtime;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>An outcome is durable at its queue partition (stored with the lease's end) before the lease is released,
/// and the partition sends it until the job acknowledges it after a state write. So a notification the job never got,
/// and counts the job held only in memory when its silo died, are recovered.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutcomeReconciliationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OutcomesMissedByTheJobOrLostWithItsSiloAreRecoveredFromThePartitions()
    {
        // Two silos that render nothing: the test plays the videos. The job writes behind with a window far longer than
        // the test, so what it counts stays in its memory until it finishes.
        await using var farm = await FarmCluster.StartAsync(azurite, [0, 0], o =>
        {
            o.QueuePartitions = 2;
            o.JobFlushWindow = TimeSpan.FromMinutes(10);
            o.OutcomeRedelivery = TimeSpan.FromMilliseconds(300);
        });
        await farm.Submitter().SubmitAsync(Prompts.Job("recon"), ManifestSources.Inline(Prompts.Items(4)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("recon");
        var leases = new List<WorkLease>();
        for (int p = 0; p < farm.Farm.QueuePartitions; p++)
            leases.AddRange(await FarmQueue.Partition(farm.Grains, p).TryLeaseAsync(new LeaseRequest("test-silo", 4, long.MaxValue, long.MaxValue)));
        Assert.Equal(4, leases.Count);
        leases = leases.OrderBy(l => l.ItemIndex).ToList();
        foreach (var lease in leases) Assert.True(await job.ReportAsync(Report(lease, ProgressKind.Started)));

        // Item 0: the video's one-way notification is lost (never sent); only the lease's end carries the outcome.
        await End(leases[0], Report(leases[0], ProgressKind.Completed));
        var status = await farm.WaitForStatusAsync("recon", s => s.Completed == 1, TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Running, status.State);

        // Items 1 and 2 end; the job counts them in memory only (its write is minutes away) when its silo dies.
        await End(leases[1], Report(leases[1], ProgressKind.Completed));
        await End(leases[2], Report(leases[2], ProgressKind.Failed, "device lost"));
        await farm.WaitForStatusAsync("recon", s => s.Completed == 2 && s.Failed == 1, TimeSpan.FromSeconds(30));
        var address = await farm.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(job);
        Assert.NotNull(address);
        var host = farm.Cluster.Silos.Single(s => s.SiloAddress.Equals(address));
        await farm.Cluster.KillSiloAsync(host);

        // The job comes back from its stored state on the other silo and the partitions send what it had not acknowledged.
        var recovered = await WaitAsync(() => job.GetStatusAsync(), s => s.Completed == 2 && s.Failed == 1, TimeSpan.FromMinutes(2));
        Assert.Equal((2, 1, 0, 0), (recovered.Completed, recovered.Failed, recovered.Skipped, recovered.Cancelled));
        Assert.False(recovered.IsFinished);

        await End(leases[3], Report(leases[3], ProgressKind.Completed));
        var done = await WaitAsync(() => job.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1));
        Assert.Equal(JobState.CompletedWithFailures, done.State);
        Assert.Equal((3, 1, 0, 0), (done.Completed, done.Failed, done.Skipped, done.Cancelled));
        var failure = Assert.Single((await job.GetFailuresAsync(0, 10)).Items);
        Assert.Equal((2, "device lost"), (failure.Index, failure.Error));

        // Acknowledged outcomes leave the partitions: nothing is left to send, and no lease is out.
        var queue = await farm.WaitForIdleQueueAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, queue.LeasedItems);

        Task End(WorkLease lease, VideoReport outcome) => WithRetries(() =>
            FarmQueue.Partition(farm.Grains, lease.Partition).EndLeaseAsync(new LeaseEnd(lease.LeaseId, lease.JobId, lease.ItemIndex, LeaseOutcome.Done, null) { Final = outcome }));
    }

    private static VideoReport Report(WorkLease lease, ProgressKind kind, string? message = null) =>
        new(lease.ItemIndex, VideoKey.DefaultVideoId(lease.JobId, lease.ItemIndex), kind, 1, 1, 0, "test-silo", message)
        {
            Attempt = lease.Attempt,
            Generation = lease.Generation,
        };

    /// <summary>Calls through a silo's death fail until the cluster has declared it dead: try again.</summary>
    private static async Task WithRetries(Func<Task> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                await call().WaitAsync(TimeSpan.FromSeconds(20));
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<JobStatus> WaitAsync(Func<Task<JobStatus>> get, Func<JobStatus, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await get().WaitAsync(TimeSpan.FromSeconds(20));
                if (condition(last)) return last;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // the job's silo is being declared dead
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"condition not met in {timeout}: {last}");
    }
}
