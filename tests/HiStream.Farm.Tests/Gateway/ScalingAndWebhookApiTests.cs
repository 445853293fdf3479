using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HiStream.Gateway.Api;
using HiStream.Grains.Manifests;
using Microsoft.AspNetCore.Http;

namespace HiStream.Farm.Tests.Gateway;

/// <summary>The gateway's demand endpoint for KEDA (counts from the queue, silos = ceil(videos / slots), on the
/// management port only) and the
/// webhook field of a submission (a bad URL is a 400 naming <c>webhook</c>).</summary>
public sealed class ScalingAndWebhookApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    [Fact]
    public async Task DemandCountsQueuedAndRenderingVideosPerSilo()
    {
        var idle = await DemandAsync();
        Assert.Equal((0L, 0L, 0L, 0L), (idle!.Queued, idle.InFlight, idle.Videos, idle.Silos));
        Assert.Equal(3, idle.SlotsPerSilo);

        // 7 videos of 33 frames: the 2-slot silo renders 2, the rest wait.
        var items = Enumerable.Range(0, 7).Select(i => new { prompt = $"a kite over green hills, take {i}", size = "32x32", frames = 33 }).ToArray();
        var submitted = await host.Client.PostAsJsonAsync("/jobs", new { items });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var jobId = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!;
        var busy = await DemandAsync();
        Assert.InRange(busy!.Videos, 1, 7);
        Assert.Equal(busy.Queued + busy.InFlight, busy.Videos);
        Assert.Equal((busy.Videos + 2) / 3, busy.Silos);
        await host.Client.PostAsync($"/jobs/{jobId}/cancel", null);
    }

    /// <summary>Not for the API's callers: the demand answers only on the management port, even to an admin.</summary>
    [Fact]
    public async Task DemandAnswersOnlyOnTheManagementPort()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/scaling/demand")).StatusCode); // anonymous here: an admin
        var onOtherPort = await host.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = "/scaling/demand";
            c.Connection.LocalPort = host.Management.Port + 1;
        });
        Assert.Equal(StatusCodes.Status404NotFound, onOtherPort.Response.StatusCode);
        Assert.NotNull(await DemandAsync());
    }

    [Fact]
    public async Task ABadWebhookUrlIsRefusedNamingTheField()
    {
        var response = await host.Client.PostAsJsonAsync("/jobs", new { webhook = "ftp://example.com/hook", items = new[] { new { prompt = "a snail on a wet leaf", size = "32x32", frames = 9 } } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("webhook", out _), problem.ToString());
    }

    /// <summary>GET /scaling/demand as it arrives on the gateway's management port.</summary>
    private async Task<ScalingDemand?> DemandAsync()
    {
        var context = await host.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = "/scaling/demand";
            c.Connection.LocalPort = host.Management.Port;
        });
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        return await JsonSerializer.DeserializeAsync<ScalingDemand>(context.Response.Body, FarmJson.Options);
    }
}
