using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Manifests;

namespace HiStream.Farm.Tests.Gateway;

/// <summary>The REST API against a real cluster: refusals name the field and leave nothing behind; a job submitted
/// over HTTP renders, streams progress and lists its results.</summary>
public sealed class GatewayApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private readonly GatewayHost _host = host;
    private HttpClient Http => _host.Client;

    private static object Item(string? prompt = "a fox", string size = "32x32", int frames = 9, string sampler = "self-forcing", object? options = null) =>
        new { prompt, size, frames, sampler, samplerOptions = options };

    private async Task<JsonElement> RefusedAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {body}");
        Assert.Contains(field, problem.GetProperty("detail").GetString());
        return problem;
    }

    [Theory]
    [InlineData("", "32x32", 9, "self-forcing", "items[0].prompt")]
    [InlineData("a fox", "100x64", 9, "self-forcing", "items[0].size")]
    [InlineData("a fox", "32x32", 0, "self-forcing", "items[0].frames")]
    [InlineData("a fox", "32x32", 105, "self-forcing", "items[0].frames")]
    [InlineData("a fox", "32x32", 10, "self-forcing", "items[0].frames")]
    [InlineData("a fox", "32x32", 9, "dall-e", "items[0].sampler")]
    public async Task BadItemsAreRefusedNamingTheField(string prompt, string size, int frames, string sampler, string field)
    {
        var response = await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(prompt, size, frames, sampler) } });
        await RefusedAsync(response, field);
    }

    [Fact]
    public async Task OtherRefusals()
    {
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(new string('x', 2001)) } }), "items[0].prompt");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { new { prompt = "a", width = 40, height = 32 } } }), "items[0].width");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(options: new { steps = "1000,abc" }) } }), "items[0].samplerOptions");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(options: new { guidance = 3 }) } }), "items[0].samplerOptions");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(size: "48x48", sampler: "histream") } }), "items[0].size");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { jobId = "Bad_Id", items = new[] { Item() } }), "jobId");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { output = new { container = "Results!" }, items = new[] { Item() } }), "output.container");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = Array.Empty<object>() }), "items");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { priority = 5000, items = new[] { Item() } }), "priority");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { manifest = new { container = "nope", name = "x.jsonl" } }), "manifest");
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { new { prompt = "a", promt = "typo" } } }), "items[0].promt");
    }

    [Fact]
    public async Task WhatTheEngineWouldRefuseOnASiloIsRefusedAtSubmit()
    {
        // 65 frames = 17 latent frames, not whole chunks of 3: the silo would fail it at chunk 0.
        var frames = await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(frames: 65, sampler: "histream") } }), "items[0].frames");
        Assert.Contains("17 latent frames", frames.GetProperty("errors").GetProperty("items[0].frames")[0].GetString());
        await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(sampler: "wan-bidirectional", options: new { steps = 100000 }) } }), "items[0].samplerOptions");
        // Larger than the largest silo (Gateway:Limits:LargestSiloMemoryGiB = 4 here, tiny model).
        var memory = await RefusedAsync(await Http.PostAsJsonAsync("/jobs", new { items = new[] { Item(size: "2048x2048", frames: 93) } }), "items[0].size");
        Assert.Contains("device memory", memory.GetProperty("errors").GetProperty("items[0].size")[0].GetString());
        // In a manifest the error names the line.
        var jsonl = "{\"prompt\": \"fine\", \"size\": \"32x32\", \"frames\": 9}\n{\"prompt\": \"odd\", \"size\": \"32x32\", \"frames\": 65, \"sampler\": \"histream\"}\n";
        await RefusedAsync(await Http.PostAsync("/jobs/upload?jobId=admission-lines", new StringContent(jsonl, Encoding.UTF8, "application/x-ndjson")), "lines[2].frames");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/jobs/admission-lines")).StatusCode);
    }

    [Fact]
    public async Task AMalformedJsonlLineIsRefusedWithItsLineNumberAndNothingIsLeftBehind()
    {
        // Pages hold 2 items here, so lines 1-4 were already written as two pages when line 6 fails.
        var jsonl = string.Join("\n",
            """{"prompt": "one", "size": "32x32", "frames": 9}""",
            """{"prompt": "two", "size": "32x32", "frames": 9}""",
            "",
            """{"prompt": "three", "size": "32x32", "frames": 9}""",
            """{"prompt": "four", "size": "32x32", "frames": 9}""",
            """{"prompt": "five", "size": "32x32", "frames": 9""");
        var before = await JobBlobsAsync();
        var response = await Http.PostAsync("/jobs/upload?jobId=broken", new StringContent(jsonl, Encoding.UTF8, "application/x-ndjson"));
        var problem = await RefusedAsync(response, "lines[6]");
        Assert.Contains("line", problem.GetProperty("detail").GetString()!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await JobBlobsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/jobs/broken")).StatusCode);
    }

    [Fact]
    public async Task AManifestLineLongerThanTheBoundIsRefusedAndReadingStopsThere()
    {
        // No line break for 200,000 characters: refused as that line, without reading on (line 6 would be an error too).
        var manifest = string.Join("\n",
            """{"prompt": "one", "size": "32x32", "frames": 9}""",
            """{"prompt": "two", "size": "32x32", "frames": 9}""",
            """{"prompt": "three", "size": "32x32", "frames": 9}""",
            """{"prompt": "four", "size": "32x32", "frames": 9}""",
            "{\"prompt\": \"" + new string('x', 200_000) + "\"}",
            "{ not json");
        var before = await JobBlobsAsync();
        var response = await Http.PostAsync("/jobs/upload?jobId=long-line", new StringContent(manifest, Encoding.UTF8, "application/x-ndjson"));
        var problem = await RefusedAsync(response, "lines[5]");
        var errors = problem.GetProperty("errors");
        Assert.Contains($"longer than {HiStream.Gateway.Jobs.ManifestSources.MaxLineChars} characters", errors.GetProperty("lines[5]")[0].GetString());
        Assert.False(errors.TryGetProperty("lines[6]", out _), problem.ToString());
        Assert.Equal(before, await JobBlobsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/jobs/long-line")).StatusCode);
    }

    private async Task<List<string>> JobBlobsAsync()
    {
        var names = new List<string>();
        await foreach (var b in _host.Farm.Blobs.ListAsync(_host.Farm.Farm.JobsContainer, "")) names.Add(b.Name);
        return names;
    }

    [Fact]
    public async Task UnknownJobsAndVideosAre404s()
    {
        foreach (var (method, url) in new[] { ("GET", "/jobs/nope"), ("GET", "/jobs/nope/events"), ("POST", "/jobs/nope/cancel"), ("POST", "/jobs/nope/retry"), ("GET", "/jobs/nope/results"), ("GET", "/jobs/nope/videos/v1") })
        {
            var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("nope", problem.GetProperty("jobId").GetString());
        }
    }

    [Fact]
    public async Task AJobSubmittedOverHttpRendersStreamsProgressAndListsResults()
    {
        var jsonl = "{\"prompt\": \"a lighthouse\", \"id\": \"shot-a\"}\n{\"prompt\": \"a kite\", \"frames\": 21, \"sampler\": \"histream-plus\", \"samplerOptions\": {\"neighbourFrames\": 3}}\n";
        var response = await Http.PostAsync("/jobs/upload?jobId=http-job&size=32x32&frames=9&priority=3&tag=demo", new StringContent(jsonl, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("http-job", submitted.GetProperty("jobId").GetString());
        Assert.Equal(2, submitted.GetProperty("status").GetProperty("total").GetInt32());

        // Server-sent events until the job finishes.
        var kinds = new List<string>();
        using (var stream = await Http.GetStreamAsync("/jobs/http-job/events"))
        using (var reader = new StreamReader(stream))
        {
            var read = Task.Run(async () =>
            {
                while (await reader.ReadLineAsync() is { } line)
                    if (line.StartsWith("event: ")) kinds.Add(line[7..]);
            });
            await read.WaitAsync(TimeSpan.FromMinutes(3));
        }
        Assert.True(kinds.Contains("started"), string.Join(",", kinds));
        Assert.Contains("chunk", kinds);
        Assert.Equal(2, kinds.Count(k => k == "completed"));
        Assert.Contains("jobfinished", kinds);
        Assert.Equal("status", kinds[^1]);

        var status = await Http.GetFromJsonAsync<JsonElement>("/jobs/http-job");
        Assert.Equal("completed", status.GetProperty("state").GetString());
        Assert.Equal(3, status.GetProperty("priority").GetInt32());
        Assert.Equal(1.0, status.GetProperty("progress").GetDouble());

        var results = await Http.GetFromJsonAsync<JsonElement>("/jobs/http-job/results");
        var items = results.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.Contains(items, i => i.GetProperty("videoId").GetString() == "shot-a");
        using var plain = new HttpClient();
        foreach (var item in items)
        {
            // Azure: short-lived read-only SAS URLs that work without any other credential.
            var url = new Uri(item.GetProperty("video").GetString()!);
            Assert.StartsWith("http://127.0.0.1:", url.ToString());
            Assert.EndsWith("/video.mp4", url.AbsolutePath);
            Assert.Contains("sig=", url.Query);
            var download = await plain.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.True((await download.Content.ReadAsByteArrayAsync()).Length > 0);
        }
        // The gateway's file route redirects to such a URL on Azure.
        var noRedirect = new HttpClient(_host.Server.CreateHandler()) { BaseAddress = Http.BaseAddress };
        var redirect = await noRedirect.GetAsync("/jobs/http-job/videos/shot-a/files/video.mp4");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Contains("sig=", redirect.Headers.Location!.Query);

        var video = await Http.GetFromJsonAsync<JsonElement>("/jobs/http-job/videos/shot-a");
        Assert.Equal("completed", video.GetProperty("status").GetProperty("state").GetString());
        Assert.EndsWith("shot-a/metadata.json", new Uri(video.GetProperty("files").GetProperty("metadata").GetString()!).AbsolutePath);
        var second = await Http.GetFromJsonAsync<JsonElement>($"/jobs/http-job/videos/{VideoKey.DefaultVideoId("http-job", 1)}");
        Assert.Equal(2, second.GetProperty("status").GetProperty("chunksTotal").GetInt32());
        var meta = await Metadata.ReadAsync(_host.Farm.Blobs, _host.Farm.ResultsContainer, $"http-job/{VideoKey.DefaultVideoId("http-job", 1)}");
        Assert.Equal("histream-plus", meta.Sampler);
        Assert.Equal("3", meta.SamplerOptions["neighbourFrames"]);
        // Chunk 0: 2 low + 2 high steps. Chunk 1: the two cache refreshes of chunk 0, then HiStream+'s 1 low + 1 high (HiStream would take 6).
        Assert.Equal([4, 4], meta.Chunks.Select(c => c.ModelPasses));

        // The same manifest again is the same job; other content under the same id is a conflict.
        var again = await Http.PostAsync("/jobs/upload?jobId=http-job&size=32x32&frames=9&priority=3&tag=demo", new StringContent(jsonl, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var conflict = await Http.PostAsync("/jobs/upload?jobId=http-job&size=32x32&frames=9", new StringContent("another prompt\n", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
    }

    [Fact]
    public async Task OpenApiDescribesTheApi()
    {
        var doc = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/jobs", "/jobs/upload", "/jobs/{jobId}", "/jobs/{jobId}/events", "/jobs/{jobId}/cancel", "/jobs/{jobId}/retry", "/jobs/{jobId}/results", "/jobs/{jobId}/videos/{videoId}", "/jobs/{jobId}/videos/{videoId}/cancel" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
    }
}
