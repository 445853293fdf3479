using System.Text.Json;
using Azure.Data.Tables;
using HiStream.Abstractions.Jobs;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Jobs;
using HiStream.Grains.Jobs;
using HiStream.Grains.Manifests;
using HiStream.Grains.Results;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>A job's finish actions (contact sheet, webhook) survive the silo that started them: the finish is stored
/// with a reminder (here Orleans' Azure Table reminders on Azurite, as a farm on Azure runs them), and when that silo
/// dies mid-webhook the reminder wakes the job on the other silo, which sends the notification again with the same
/// delivery id, records the actions done and drops the reminder.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class FinishActionsRecoveryTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task AWebhookCutOffByItsSilosDeathIsSentAgainFromTheOtherSilo()
    {
        using var tables = new AzuriteTableServer();
        var reminderTable = $"reminders{Guid.NewGuid():N}"[..24];
        using var firstCallHeld = new ManualResetEventSlim();
        using var releaseFirstCall = new ManualResetEventSlim();
        // The first delivery is held to the end of the test: its silo dies meanwhile. Any later one is taken. (An
        // in-process "killed" silo still runs its tasks: answered, its actions would end and be recorded done there.)
        using var receiver = new HttpRecorder((_, n) =>
        {
            if (n > 1) return (200, "{}");
            firstCallHeld.Set();
            releaseFirstCall.Wait(TimeSpan.FromMinutes(5));
            return (503, "{}");
        }, concurrent: true);
        await using var farm = await FarmCluster.StartAsync(azurite, [0, 0], settingsOverride: new Dictionary<string, string?>
        {
            ["Farm:Webhooks:Secret"] = "finish-secret",
            ["Farm:Webhooks:AllowInternalAddresses"] = "true",
            ["Farm:Webhooks:MaxAttempts"] = "1", // no retry from the dying silo: only the reminder can send it again
            ["Farm:Webhooks:Timeout"] = "00:10:00",
            ["Farm:FinishActionsRecheck"] = "00:00:02",
            ["Farm:FinishActionsStopWait"] = "00:00:01", // the killed silo's disposal gives up on the held call
        }, services: (_, s) =>
        {
            s.UseAzureTableReminderService(o =>
            {
                o.TableServiceClient = new TableServiceClient(tables.ConnectionString);
                o.TableName = reminderTable;
            });
            s.Configure<ClusterMembershipOptions>(o => // the farm's own timings (HiStreamClustering): dead in about 6-10 s
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 3;
                o.NumVotesForDeathDeclaration = 2;
            });
        });

        var options = Prompts.Job("finish-recovery") with { Webhook = $"{receiver.Url}/hooks" };
        await farm.Submitter().SubmitAsync(options, ManifestSources.Inline(Prompts.Items(2)), default);
        var job = farm.Grains.GetGrain<IJobGrain>("finish-recovery");
        await job.CancelAsync(); // no silo renders here: the cancel finishes the job and starts its finish actions
        Assert.True(firstCallHeld.Wait(TimeSpan.FromMinutes(1)), "the first webhook call never came");

        var address = await farm.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(job);
        Assert.NotNull(address);
        var host = farm.Cluster.Silos.Single(s => s.SiloAddress.Equals(address));
        var survivor = farm.Cluster.Silos.Single(s => !s.SiloAddress.Equals(address));
        await farm.Cluster.KillSiloAsync(host);
        var killedAt = DateTime.UtcNow;
        try
        {
            await AssertSentAgainAndRecordedAsync(receiver, survivor, killedAt);
        }
        finally
        {
            releaseFirstCall.Set();
        }
    }

    private async Task AssertSentAgainAndRecordedAsync(HttpRecorder receiver, Orleans.TestingHost.InProcessSiloHandle survivor, DateTime killedAt)
    {
        var calls = await receiver.WaitForAsync(r => r.Length >= 2, TimeSpan.FromMinutes(2));
        output.WriteLine($"notification sent again {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill returned");
        Assert.Equal(calls[0].Headers[WebhookSender.DeliveryHeader], calls[1].Headers[WebhookSender.DeliveryHeader]);
        Assert.Equal(calls[0].Body, calls[1].Body);
        var notification = JsonSerializer.Deserialize<JobFinishedNotification>(calls[1].Body, FarmJson.Options)!;
        Assert.Equal(("finish-recovery", JobState.Cancelled), (notification.Job.JobId, notification.Job.State));

        // Recorded done in the job's stored state, and the reminder is gone, so nothing is sent a third time.
        var grainId = GrainId.Create("job", "finish-recovery");
        var storage = survivor.ServiceProvider.GetRequiredKeyedService<IGrainStorage>(HiStream.Grains.Hosting.FarmStorage.Name);
        var reminders = survivor.ServiceProvider.GetRequiredService<IReminderTable>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var stored = new GrainState<JobGrainState>();
            await storage.ReadStateAsync("job", grainId, stored);
            var state = stored.State!;
            var rows = await reminders.ReadRows(grainId);
            if (state.Finishes == 1 && state.FinishActionsDone == 1 && rows.Reminders.Count == 0) break;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"finishes {state.Finishes}, actions done {state.FinishActionsDone}, reminders {rows.Reminders.Count}");
            await Task.Delay(200);
        }
        await Task.Delay(TimeSpan.FromSeconds(5)); // two more reminder periods
        Assert.Equal(2, receiver.Requests.Count);
    }
}
