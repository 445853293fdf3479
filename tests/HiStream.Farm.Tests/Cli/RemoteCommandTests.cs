using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HiStream.Farm.Tests.Security;
using HiStream.Gateway.Cli;

namespace HiStream.Farm.Tests.Cli;

/// <summary>The remote CLI commands run as <c>histream ARGS</c> would, against a gateway with API keys (Kestrel on
/// loopback) and a real render silo.</summary>
public sealed class RemoteCommandTests(LocalStoreFarm farm) : IClassFixture<LocalStoreFarm>
{
    private static Task<int> RunAsync(params string[] args) => CliApp.Create().Parse(args).InvokeAsync();

    private static async Task<JsonElement> StatusAsync(HttpClient client, string jobId)
    {
        var response = await client.GetAsync($"/jobs/{jobId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>A job long enough (30 videos on one slot) to still be running while the test controls it.</summary>
    private static async Task<string> SubmitLongJobAsync(HttpClient client, string jobId)
    {
        var items = Enumerable.Range(0, 30).Select(i => new { prompt = $"a paper boat, take {i}", size = "32x32", frames = 9 }).ToArray();
        var response = await client.PostAsJsonAsync("/jobs", new { jobId, items });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!;
    }

    [Fact]
    public async Task JobControlCommandsSendTheApiKey()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        var job = await SubmitLongJobAsync(a, "cli-control");
        var address = gateway.Address.ToString();
        try
        {
            Assert.Equal(2, await RunAsync("pause", job, "-g", address, "-k", "")); // no key: 401, the CLI's exit code 2
            Assert.False((await StatusAsync(a, job)).GetProperty("paused").GetBoolean());

            Assert.Equal(0, await RunAsync("pause", job, "-g", address, "-k", SecureGateway.KeyA));
            Assert.True((await StatusAsync(a, job)).GetProperty("paused").GetBoolean());
            Assert.Equal(0, await RunAsync("priority", job, "7", "-g", address, "--api-key", SecureGateway.KeyA));
            Assert.Equal(7, (await StatusAsync(a, job)).GetProperty("priority").GetInt32());
            Assert.Equal(0, await RunAsync("deadline", job, "--in", "02:00:00", "-g", address, "-k", SecureGateway.KeyA));
            Assert.Equal(JsonValueKind.String, (await StatusAsync(a, job)).GetProperty("deadline").ValueKind);
            Assert.Equal(0, await RunAsync("failed", job, "-g", address, "-k", SecureGateway.KeyA)); // none failed: exit code 0
            Assert.Equal(0, await RunAsync("resume", job, "-g", address, "-k", SecureGateway.KeyA));
            Assert.False((await StatusAsync(a, job)).GetProperty("paused").GetBoolean());
            // Another tenant's key does not reach the job.
            Assert.Equal(3, await RunAsync("pause", job, "-g", address, "-k", SecureGateway.KeyB));
        }
        finally
        {
            await a.PostAsync($"/jobs/{job}/cancel", null);
        }
    }

    [Fact]
    public async Task ADeadlineInThePastIsRefusedLikeAtSubmit()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        var job = await SubmitLongJobAsync(a, "past-deadline");
        try
        {
            var response = await a.PostAsJsonAsync($"/jobs/{job}/deadline", new { deadline = DateTimeOffset.UtcNow.AddMinutes(-1) });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
            Assert.Contains("has passed", JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("deadline")[0].GetString());
            var status = await StatusAsync(a, job);
            Assert.False(status.TryGetProperty("deadline", out var deadline) && deadline.ValueKind != JsonValueKind.Null, $"the deadline was set: {status}");
            Assert.Equal(0, status.GetProperty("failed").GetInt32()); // no item failed for a deadline that was refused

            Assert.Equal(HttpStatusCode.OK, (await a.PostAsJsonAsync($"/jobs/{job}/deadline", new { deadline = DateTimeOffset.UtcNow.AddHours(1) })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await a.PostAsJsonAsync($"/jobs/{job}/deadline", new { deadline = (DateTimeOffset?)null })).StatusCode);
        }
        finally
        {
            await a.PostAsync($"/jobs/{job}/cancel", null);
        }
    }

    [Fact]
    public async Task SubmittedTagsArriveOnTheJob()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        var prompts = Path.Combine(farm.Sandbox, $"prompts-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(prompts, "a heron in the reeds\n");
        Assert.Equal(0, await RunAsync("submit", "--prompts", prompts, "--job", "cli-tags", "--tag", "night", "--tag", "batch-7", "--size", "32x32", "--frames", "9",
            "-g", gateway.Address.ToString(), "-k", SecureGateway.KeyA));
        var tags = (await StatusAsync(a, "cli-tags")).GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Equal(["night", "batch-7"], tags);
        await farm.Farm.WaitForJobAsync("tenant-a.cli-tags", TimeSpan.FromMinutes(3));
    }
}
