using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Cli;

namespace HiStream.Farm.Tests.Security;

/// <summary>Tenants on a real gateway (API keys, Kestrel on loopback) and a real render silo with a local folder
/// store: a tenant sees, watches, cancels, retries and downloads only its own jobs; the admin sees all and the queue;
/// files are served with range requests; the CLI download resumes; quotas and rate limits refuse with problem details.</summary>
public sealed class TenantTests(LocalStoreFarm farm) : IClassFixture<LocalStoreFarm>
{
    private static object OneItem(string prompt) => new { items = new[] { new { prompt, size = "32x32", frames = 9, id = "clip" } } };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    private async Task<string> RenderForAsync(HttpClient client, string jobId, string prompt)
    {
        var submitted = await JsonAsync(await client.PostAsJsonAsync("/jobs", new { jobId, items = new[] { new { prompt, size = "32x32", frames = 9, id = "clip" } } }), HttpStatusCode.Accepted);
        var id = submitted.GetProperty("jobId").GetString()!;
        await farm.Farm.WaitForJobAsync(id, TimeSpan.FromMinutes(3));
        return id;
    }

    [Fact]
    public async Task TenantACannotSeeWatchCancelRetryOrDownloadTenantBsJob()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        using var b = gateway.Client(SecureGateway.KeyB);
        using var admin = gateway.Client(SecureGateway.KeyAdmin);
        using var nobody = gateway.Client(null);
        using var wrong = gateway.Client("hs_not-a-key");

        var jobOfB = await RenderForAsync(b, "shared-name", "a lighthouse in fog");
        Assert.Equal("tenant-b.shared-name", jobOfB); // ids are scoped by tenant
        // A may use the same name: it is a different job, never a conflict that would reveal B's.
        var jobOfA = (await JsonAsync(await a.PostAsJsonAsync("/jobs", new { jobId = "shared-name", items = new[] { new { prompt = "a kite", size = "32x32", frames = 9 } } }), HttpStatusCode.Accepted))
            .GetProperty("jobId").GetString()!;
        Assert.Equal("tenant-a.shared-name", jobOfA);

        // B sees its job (by its short or full id), with download URLs on the gateway.
        Assert.Equal("tenant-b", (await JsonAsync(await b.GetAsync("/jobs/shared-name"), HttpStatusCode.OK)).GetProperty("tenant").GetString());
        var results = await JsonAsync(await b.GetAsync($"/jobs/{jobOfB}/results"), HttpStatusCode.OK);
        var videoUrl = new Uri(results.GetProperty("items")[0].GetProperty("video").GetString()!);
        Assert.Equal(gateway.Address.Authority, videoUrl.Authority);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync(videoUrl)).StatusCode);

        // A: every route on B's job answers 404, exactly like a job that does not exist.
        foreach (var (method, path) in new[]
        {
            ("GET", $"/jobs/{jobOfB}"), ("GET", $"/jobs/{jobOfB}/events"), ("POST", $"/jobs/{jobOfB}/cancel"), ("POST", $"/jobs/{jobOfB}/retry"),
            ("GET", $"/jobs/{jobOfB}/failed"), ("GET", $"/jobs/{jobOfB}/results"), ("GET", $"/jobs/{jobOfB}/videos/clip"), ("POST", $"/jobs/{jobOfB}/videos/clip/cancel"),
            ("GET", $"/jobs/{jobOfB}/videos/clip/files"), ("GET", $"/jobs/{jobOfB}/videos/clip/files/video.mp4"), ("GET", videoUrl.PathAndQuery),
        })
        {
            var response = await a.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            var problem = await JsonAsync(response, HttpStatusCode.NotFound);
            Assert.Equal("Unknown job", problem.GetProperty("title").GetString());
        }
        // A's own "shared-name" is its own job, not B's.
        Assert.Equal("tenant-a", (await JsonAsync(await a.GetAsync("/jobs/shared-name"), HttpStatusCode.OK)).GetProperty("tenant").GetString());
        // B's job was not cancelled by A's attempt.
        Assert.Equal("completed", (await JsonAsync(await b.GetAsync($"/jobs/{jobOfB}"), HttpStatusCode.OK)).GetProperty("state").GetString());

        // Listing: each tenant its own; the admin every tenant's, and the queue.
        var listA = (await JsonAsync(await a.GetAsync("/jobs"), HttpStatusCode.OK)).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()).ToList();
        Assert.Contains(jobOfA, listA);
        Assert.DoesNotContain(jobOfB, listA);
        var listAdmin = (await JsonAsync(await admin.GetAsync("/jobs"), HttpStatusCode.OK)).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()).ToList();
        Assert.Contains(jobOfA, listAdmin);
        Assert.Contains(jobOfB, listAdmin);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/jobs/{jobOfB}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await a.GetAsync("/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/queue")).StatusCode);

        // No key or a wrong key: 401 problem details; health and the OpenAPI document stay open.
        foreach (var client in new[] { nobody, wrong })
        {
            var problem = await JsonAsync(await client.GetAsync($"/jobs/{jobOfB}"), HttpStatusCode.Unauthorized);
            Assert.Equal("Authentication required", problem.GetProperty("title").GetString());
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/jobs", OneItem("x"))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await nobody.GetAsync("/healthz")).StatusCode);

        // Outputs live under the tenant's prefix.
        var meta = await farm.Store.TryReadAsync(farm.Farm.ResultsContainer, $"tenants/tenant-b/{jobOfB}/clip/metadata.json");
        Assert.NotNull(meta);
        await farm.Farm.WaitForJobAsync(jobOfA, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task LocalStoreFilesAreServedWithRangeRequestsAndTheCliDownloadResumes()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        var job = await RenderForAsync(a, "ranges", "a river at dawn");
        var bytes = await File.ReadAllBytesAsync(farm.Store.TryGetFilePath(farm.Farm.ResultsContainer, $"tenants/tenant-a/{job}/clip/video.mp4")!);
        Assert.True(bytes.Length > 100);

        var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{job}/videos/clip/files/video.mp4");
        request.Headers.Range = new RangeHeaderValue(10, 49);
        var partial = await a.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("video/mp4", partial.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"bytes 10-49/{bytes.Length}", partial.Content.Headers.ContentRange?.ToString());
        Assert.Equal(bytes[10..50], await partial.Content.ReadAsByteArrayAsync());
        var whole = await a.GetAsync($"/jobs/{job}/videos/clip/files/video.mp4");
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/jobs/{job}/videos/clip/files/nothing.bin")).StatusCode);
        var listing = await JsonAsync(await a.GetAsync($"/jobs/{job}/videos/clip/files"), HttpStatusCode.OK);
        Assert.Contains(listing.GetProperty("files").EnumerateArray(), f => f.GetProperty("name").GetString() == "chunks/0000.safetensors");

        // The CLI download: a partial file continues with a Range request; a second run skips complete files.
        var folder = Path.Combine(farm.Sandbox, $"download-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(folder, "clip"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "clip", "video.mp4.part"), bytes[..37]);
        using var client = new GatewayClient(gateway.Address, SecureGateway.KeyA);
        var item = new ResultDownloader.Item("clip", "video.mp4", new Uri(gateway.Address, $"/jobs/{job}/videos/clip/files/video.mp4"));
        var (fetched, resumedAt, length) = await ResultDownloader.FetchAsync(client, folder, item, _ => { }, CancellationToken.None);
        Assert.True(fetched);
        Assert.Equal(37, resumedAt);
        Assert.Equal(bytes.Length, length);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(folder, "clip", "video.mp4")));
        Assert.Equal(0, await ResultDownloader.DownloadAsync(client, job, folder, all: false, CancellationToken.None));
        Assert.True(File.Exists(Path.Combine(folder, "clip", "metadata.json")));
        Assert.False(File.Exists(Path.Combine(folder, "clip", "video.mp4.part")));
        Assert.False((await ResultDownloader.FetchAsync(client, folder, item, _ => { }, CancellationToken.None)).Fetched);
        // A storage link that expired during a long download (403) is asked for again, once.
        using var expiredStorage = new HttpRecorder((_, _) => (403, "<Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed</Message></Error>"));
        var preview = Path.Combine(folder, "clip", "preview.png");
        var previewBytes = await File.ReadAllBytesAsync(preview);
        File.Delete(preview);
        var stale = new ResultDownloader.Item("clip", "preview.png", new Uri($"{expiredStorage.Url}/results/clip/preview.png?se=expired"));
        await Assert.ThrowsAnyAsync<Exception>(() => ResultDownloader.FetchAsync(client, folder, stale, _ => { }, CancellationToken.None));
        Assert.True((await ResultDownloader.FetchAsync(client, folder, stale, _ => { }, CancellationToken.None, ResultDownloader.FreshLink(client, job, stale))).Fetched);
        Assert.Equal(previewBytes, await File.ReadAllBytesAsync(preview));
        Assert.Throws<InvalidDataException>(() => ResultDownloader.LocalPath(folder, new ResultDownloader.Item("..", "x", item.Url)));
        Assert.Throws<InvalidDataException>(() => ResultDownloader.LocalPath(folder, new ResultDownloader.Item("clip", "../../x", item.Url)));
    }

    [Fact]
    public async Task QuotasBodySizeAndRateLimitsAreProblemsThatNameTheLimit()
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?>
        {
            ["Gateway:Quotas:MaxQueuedItems"] = "3",
            ["Gateway:Quotas:MaxJsonBodyBytes"] = "4096",
            ["Gateway:Quotas:RequestsPerMinute"] = "40",
        });
        using var b = gateway.Client(SecureGateway.KeyB);
        var before = Directory.Exists(Path.Combine(farm.StoreRoot, farm.Farm.Farm.JobsContainer))
            ? Directory.GetFiles(Path.Combine(farm.StoreRoot, farm.Farm.Farm.JobsContainer), "*", SearchOption.AllDirectories).Length : 0;

        var items = Enumerable.Range(0, 4).Select(i => new { prompt = $"p{i}", size = "32x32", frames = 9 }).ToArray();
        var quota = await JsonAsync(await b.PostAsJsonAsync("/jobs", new { items }), HttpStatusCode.TooManyRequests);
        Assert.Equal("Gateway:Quotas:MaxQueuedItems", quota.GetProperty("limit").GetString());
        Assert.Equal(3, quota.GetProperty("value").GetInt32());
        var after = Directory.GetFiles(Path.Combine(farm.StoreRoot, farm.Farm.Farm.JobsContainer), "*", SearchOption.AllDirectories).Length;
        Assert.Equal(before, after); // nothing of the refused job is left

        var big = await JsonAsync(await b.PostAsync("/jobs", new StringContent(new string(' ', 5000) + "{}", Encoding.UTF8, "application/json")), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("Gateway:Quotas:MaxJsonBodyBytes", big.GetProperty("limit").GetString());
        var tooMany = await JsonAsync(await b.PostAsJsonAsync("/jobs", new { items = new[] { new { prompt = "", size = "32x32", frames = 9 } } }), HttpStatusCode.BadRequest);
        Assert.True(tooMany.GetProperty("errors").TryGetProperty("items[0].prompt", out _));

        HttpResponseMessage? limited = null;
        for (int i = 0; i < 60 && limited is null; i++)
        {
            var response = await b.GetAsync("/jobs");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.NotNull(limited);
        var problem = await JsonAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal("Gateway:Quotas:RequestsPerMinute", problem.GetProperty("limit").GetString());
        using var a = gateway.Client(SecureGateway.KeyA);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/jobs")).StatusCode); // another tenant has its own bucket
    }

    [Fact]
    public async Task JobListsPageBeyondTheThousandJobsATenantGrainServesAtOnce()
    {
        // The tenant grain hands out at most 1000 ids per call; the listing used to ask it for skip + take from the
        // start, so every page past the first thousand was empty. 1,005 ids recorded directly (no jobs behind them).
        var tenant = $"deep-{Guid.NewGuid():N}"[..20];
        const string key = "hs_test-key-of-a-deep-tenant-0123456789abcdef";
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?>
        {
            ["Gateway:Auth:Keys:3:Tenant"] = tenant,
            ["Gateway:Auth:Keys:3:KeySha256"] = HiStream.Gateway.Security.ApiKeys.HashHex(key),
        });
        var grain = farm.Farm.Grains.GetGrain<HiStream.Abstractions.Tenants.ITenantGrain>(tenant);
        var ids = Enumerable.Range(0, 1005).Select(i => $"{tenant}.job-{i:D4}").ToArray();
        foreach (var id in ids) await grain.AddJobAsync(id);
        var newestFirst = ids.Reverse().ToArray();
        using var admin = gateway.Client(SecureGateway.KeyAdmin);
        using var own = gateway.Client(key);

        async Task<(string[] Ids, int? NextSkip)> PageAsync(HttpClient client, string query)
        {
            var list = await JsonAsync(await client.GetAsync($"/jobs?{query}"), HttpStatusCode.OK);
            var next = list.TryGetProperty("nextSkip", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : (int?)null;
            return (list.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()!).ToArray(), next);
        }

        var (page, next) = await PageAsync(admin, $"tenant={tenant}&skip=900&take=100");
        Assert.Equal(newestFirst[900..1000], page);
        Assert.Equal(1000, next);
        (page, next) = await PageAsync(admin, $"tenant={tenant}&skip=1000&take=100");
        Assert.Equal(newestFirst[1000..], page);
        Assert.Null(next);
        (page, next) = await PageAsync(admin, $"tenant={tenant}&skip=2&take=1000");
        Assert.Equal(newestFirst[2..1002], page);
        Assert.Equal(1002, next);
        (page, next) = await PageAsync(admin, $"tenant={tenant}&skip={int.MaxValue}&take=1000");
        Assert.Empty(page);
        Assert.Null(next);
        // The tenant's own view pages the same way (ids without a job behind them are not shown to a tenant).
        Assert.Equal(1000, (await PageAsync(own, "skip=900&take=100")).NextSkip);
        Assert.Null((await PageAsync(own, "skip=1000&take=100")).NextSkip);

        // Every tenant's jobs, tenant by tenant: paging through finds each of the 1,005 exactly once.
        var seen = new List<string>();
        int? skip = 0;
        while (skip is { } s)
        {
            (page, next) = await PageAsync(admin, $"skip={s}&take=1000");
            seen.AddRange(page);
            skip = next;
        }
        Assert.Equal(newestFirst, seen.Where(id => id.StartsWith(tenant + ".", StringComparison.Ordinal)));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task MultipartUploadsAreBoundByTheConfiguredUploadLimitNotTheFormReadersOwn()
    {
        static MultipartFormDataContent Form(long padding) => new() { { new PaddedManifestContent("a kite over the dunes", padding), "manifest", "prompts.txt" } };
        async Task<JsonElement> UploadAsync(SecureGateway gateway, string jobId, long padding, HttpStatusCode expected)
        {
            using var client = gateway.Client(SecureGateway.KeyA);
            return await JsonAsync(await client.PostAsync($"/jobs/upload?jobId={jobId}&size=32x32&frames=9", Form(padding)), expected);
        }

        // Over ASP.NET Core's form limit (128 MiB) and under the configured one: accepted, with its one prompt.
        await using (var roomy = await SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?> { ["Gateway:Quotas:MaxUploadBytes"] = $"{200L << 20}" }))
        {
            var accepted = await UploadAsync(roomy, "big-form", 130L << 20, HttpStatusCode.Accepted);
            Assert.Equal(1, accepted.GetProperty("status").GetProperty("total").GetInt32());
        }
        // Over a small configured limit: 413 naming it, and no job; under it: accepted.
        await using (var tight = await SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?> { ["Gateway:Quotas:MaxUploadBytes"] = "65536" }))
        {
            var refused = await UploadAsync(tight, "too-big-form", 100_000, HttpStatusCode.RequestEntityTooLarge);
            Assert.Equal("Gateway:Quotas:MaxUploadBytes", refused.GetProperty("limit").GetString());
            Assert.Equal(65536, refused.GetProperty("value").GetInt64());
            using var a = tight.Client(SecureGateway.KeyA);
            Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/jobs/too-big-form")).StatusCode);
            await UploadAsync(tight, "small-form", 30_000, HttpStatusCode.Accepted);
        }
        await farm.Farm.WaitForJobAsync("tenant-a.big-form", TimeSpan.FromMinutes(3));
        await farm.Farm.WaitForJobAsync("tenant-a.small-form", TimeSpan.FromMinutes(3));
    }

    /// <summary>A prompt file of one prompt and then blank (space-only) lines, written as it is sent and of no declared
    /// length (chunked), so only the limits that apply while reading can stop it.</summary>
    private sealed class PaddedManifestContent(string prompt, long padding) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(prompt + "\n"));
            var blank = Encoding.ASCII.GetBytes(new string(' ', 1023) + "\n");
            var block = Enumerable.Repeat(blank, 64).SelectMany(b => b).ToArray();
            for (long left = padding; left > 0; left -= block.Length)
                await stream.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, left)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task JobIdsThatNoStoreAcceptsAreUnknownJobsOnEveryRoute()
    {
        // Found by HostileInputTests: such an id reached a grain, whose store refused it, and the gateway answered 500.
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store);
        using var a = gateway.Client(SecureGateway.KeyA);
        foreach (var id in new[] { "1x\u001ax3'4c5b\b5a>4\t'2.382\ay-\u0006_9", "a/../b", "..", "job\u0000x", "\ud800" })
        {
            var escaped = Uri.EscapeDataString(id);
            foreach (var (method, path) in new[]
            {
                ("GET", $"/jobs/{escaped}"), ("GET", $"/jobs/{escaped}/videos/{Uri.EscapeDataString("file:///etc/passwd")}"), ("POST", $"/jobs/{escaped}/cancel"),
                ("GET", $"/jobs/{escaped}/results"), ("GET", $"/jobs/{escaped}/videos/clip/files/video.mp4"),
            })
            {
                var response = await a.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    public static TheoryData<string> Stores => new() { "local", "azure" };

    /// <summary>The attack of issue 11 (a manifest "container" that is an absolute server path), and its relatives,
    /// against a gateway on each store, as an admin (the most trusted caller) and as a tenant.</summary>
    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TheFileReadAttemptIsRefusedForEveryStore(string kind)
    {
        HiStream.Grains.Storage.IBlobStore store = kind == "local" ? farm.Store : farm.Azurite.CreateStore();
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, store);
        using var admin = gateway.Client(SecureGateway.KeyAdmin);
        using var a = gateway.Client(SecureGateway.KeyA);
        var outside = Path.GetDirectoryName(farm.Secret)!;
        var attempts = new (HttpClient Client, object Manifest, string Field)[]
        {
            (admin, new { container = outside, name = "secret.txt" }, "manifest.container"),
            (admin, new { container = "/tmp", name = "secret.txt" }, "manifest.container"),
            (admin, new { container = "..", name = "outside/secret.txt" }, "manifest.container"),
            (admin, new { container = farm.Farm.ResultsContainer, name = "../outside/secret.txt" }, "manifest.name"),
            (admin, new { container = farm.Farm.ResultsContainer, name = farm.Secret }, "manifest.name"),
            (admin, new { container = farm.Farm.ResultsContainer, name = "a/../../../outside/secret.txt" }, "manifest.name"),
            (admin, new { container = farm.Farm.ResultsContainer, name = "a\\..\\..\\secret.txt" }, "manifest.name"),
            (admin, new { container = farm.Farm.Farm.JobsContainer, name = "manifests/x/000000.jsonl" }, "manifest.container"),
            (admin, new { container = $"state-{farm.Farm.Suffix}", name = "x" }, "manifest.container"),
            (a, new { container = farm.Farm.ResultsContainer, name = "tenants/tenant-b/manifest.jsonl" }, "manifest.name"),
        };
        foreach (var (client, manifest, field) in attempts)
        {
            var response = await client.PostAsJsonAsync("/jobs", new { manifest });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(manifest)}: {(int)response.StatusCode} {body}");
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{JsonSerializer.Serialize(manifest)}: no error for {field}: {body}");
            Assert.DoesNotContain(farm.SecretText, body);
        }
        // Jobs cannot write into the farm's own containers either, nor into another tenant's container.
        foreach (var (client, container) in new[] { (admin, farm.Farm.Farm.JobsContainer), (admin, $"state-{farm.Farm.Suffix}"), (a, "someone-elses") })
        {
            var response = await client.PostAsJsonAsync("/jobs", new { output = new { container }, items = new[] { new { prompt = "x", size = "32x32", frames = 9 } } });
            var problem = await JsonAsync(response, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("output.container", out _));
        }
        // Path-like video ids and file names on the download routes are refused too.
        foreach (var path in new[] { "/jobs/x/videos/..%2F..%2Fsecret/files/a", "/jobs/x/videos/clip/files/..%2F..%2F..%2Foutside%2Fsecret.txt" })
        {
            var response = await admin.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain(farm.SecretText, await response.Content.ReadAsStringAsync());
        }
    }
}
