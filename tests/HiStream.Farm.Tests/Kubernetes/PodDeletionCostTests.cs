using System.Text.Json;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Telemetry;
using HiStream.Silo.Hosting;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace HiStream.Farm.Tests.Kubernetes;

/// <summary>The silo's pod-deletion-cost updater against a fake Kubernetes API server (a real local HTTP listener
/// that records each request): it merge-patches its own pod's annotation to its busy slots, only when they change,
/// and keeps trying after a failed patch.</summary>
public sealed class PodDeletionCostTests
{
    private const string Pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"histream-silo-abc","namespace":"histream"}}""";

    [Fact]
    public async Task TheSiloPatchesItsOwnPodsDeletionCostToItsBusySlots()
    {
        using var api = new HttpRecorder((_, n) => n == 3 ? (500, """{"kind":"Status","code":500}""") : (200, Pod));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new FarmMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var updater = new PodDeletionCostUpdater(client, metrics, new PodDeletionCostOptions { PodName = "histream-silo-abc", Namespace = "histream" },
            NullLogger<PodDeletionCostUpdater>.Instance);

        metrics.SlotsBusy = 2;
        Assert.True(await updater.UpdateAsync(default));
        Assert.False(await updater.UpdateAsync(default)); // unchanged: no request
        Assert.Single(api.Requests);
        var patch = api.Requests.Single();
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal("/api/v1/namespaces/histream/pods/histream-silo-abc", patch.Path);
        Assert.StartsWith("application/merge-patch+json", patch.ContentType);
        Assert.Equal("2", Annotation(patch));

        metrics.SlotsBusy = 0;
        Assert.True(await updater.UpdateAsync(default));
        Assert.Equal("0", Annotation(api.Requests.Last()));
        Assert.Equal(0, updater.Published);

        metrics.SlotsBusy = 1;
        Assert.False(await updater.UpdateAsync(default)); // the API server answers 500: not published, no exception
        Assert.Equal(0, updater.Published);
        Assert.True(await updater.UpdateAsync(default)); // tried again on the next tick
        Assert.Equal(1, updater.Published);
        Assert.Equal(["2", "0", "1", "1"], api.Requests.Select(Annotation));
    }

    private static string Annotation(RecordedRequest request)
    {
        using var doc = JsonDocument.Parse(request.Body);
        return doc.RootElement.GetProperty("metadata").GetProperty("annotations").GetProperty(PodDeletionCostUpdater.Annotation).GetString()!;
    }
}
