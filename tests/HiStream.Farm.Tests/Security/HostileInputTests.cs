using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;
using Xunit.Abstractions;

namespace HiStream.Farm.Tests.Security;

/// <summary>Property-based hostile input (CsCheck) against a real gateway on Kestrel, over a real local folder store and
/// over Azurite: huge and deeply nested JSON, invalid UTF-8, control characters, path characters and absolute paths in
/// every string field, enormous numbers, JSONL uploads and hostile route values. For every case: no 5xx and no planted
/// secret in the answer; after all cases: nothing outside the store root was written, and every blob is in the
/// tenant's own area. The silo does not render here, so accepted jobs just wait in the queue.</summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int CasesPerStore = 1250;
    private readonly AzuriteFixture _azurite = new();
    private readonly string _sandbox = Directory.CreateTempSubdirectory("histream-fuzz-").FullName;
    private readonly string _secretText = $"planted secret {Guid.NewGuid():N}";
    private FarmCluster _farm = null!;
    private LocalFolderBlobStore _local = null!;

    private string StoreRoot => Path.Combine(_sandbox, "store");
    private string Secret => Path.Combine(_sandbox, "outside", "secret.txt");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Secret)!);
        await File.WriteAllTextAsync(Secret, _secretText + "\n");
        _local = new LocalFolderBlobStore(StoreRoot);
        _farm = await FarmCluster.StartAsync(_azurite, [1], settingsOverride: new Dictionary<string, string?> { ["Farm:Render"] = "false", ["Farm:State:Provider"] = "memory" },
            resultStore: _local);
    }

    public async Task DisposeAsync()
    {
        await _farm.DisposeAsync();
        _azurite.Dispose();
        Directory.Delete(_sandbox, recursive: true);
    }

    [Fact]
    public async Task HostileRequestsNeverFailTheServerNorLeaveTheTenantsArea()
    {
        var outsideBefore = Snapshot(_sandbox, except: StoreRoot);
        var azure = _azurite.CreateStore();
        var containersBefore = await ContainersAsync(azure);
        int total = 0;
        foreach (var (kind, store) in new (string, IBlobStore)[] { ("local", _local), ("azure", azure) })
        {
            await using var gateway = await SecureGateway.StartAsync(_farm, store, new Dictionary<string, string?>
            {
                ["Gateway:Quotas:MaxJsonBodyBytes"] = "262144",
                ["Gateway:Quotas:MaxUploadBytes"] = "262144",
            });
            using var http = gateway.Client(SecureGateway.KeyA);
            var statuses = new ConcurrentDictionary<int, int>();
            int cases = 0;
            await Generators.Request(Secret, _farm.Farm.JobsContainer, _farm.ResultsContainer).SampleAsync(async request =>
            {
                Interlocked.Increment(ref cases);
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request.ToMessage());
                }
                catch (HttpRequestException ex) when (ex.InnerException is IOException && request.Body is { Length: > 0 })
                {
                    // The server answered (a refusal) and closed before the whole body was sent, as HTTP allows for a
                    // streamed upload; the gateway must still be up.
                    statuses.AddOrUpdate(0, 1, (_, n) => n + 1);
                    Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
                    return;
                }
                using var _ = response;
                var body = await response.Content.ReadAsStringAsync();
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                Assert.True((int)response.StatusCode < 500, $"{request}: {(int)response.StatusCode} {body}");
                Assert.DoesNotContain(_secretText, body);
            }, iter: CasesPerStore, threads: 2, print: r => r.ToString());
            total += cases;
            output.WriteLine($"{kind}: {cases} hostile cases; answers {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "closed early" : s.Key)}×{s.Value}"))}");
        }
        output.WriteLine($"hostile input: {total} cases in all");
        Console.WriteLine($"HostileInputTests: {total} generated cases (local store and Azurite), no 5xx");

        // Nothing outside the store root changed; inside it, only the tenant's manifests and the progress journals of its
        // own jobs (ids scoped "tenant-a."; a generated cancel writes one), and no result files, as nothing renders.
        Assert.Equal(outsideBefore, Snapshot(_sandbox, except: StoreRoot));
        Assert.True(Directory.Exists(StoreRoot), "no generated job was accepted: the write path was not exercised");
        foreach (var file in Directory.GetFiles(StoreRoot, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetRelativePath(StoreRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            Assert.True(name.StartsWith($"{_farm.Farm.JobsContainer}/manifests/tenant-a/", StringComparison.Ordinal)
                || name.StartsWith($"{_farm.Farm.JobsContainer}/events/tenant-a.", StringComparison.Ordinal)
                || name.StartsWith($"{_farm.ResultsContainer}/tenants/tenant-a/", StringComparison.Ordinal), $"written outside the tenant's area: {name}");
        }
        // Azurite: no new container but the farm's own, and every blob there in the tenant's area.
        var newContainers = (await ContainersAsync(azure)).Except(containersBefore).ToList();
        Assert.All(newContainers, c => Assert.Contains(c, new[] { _farm.Farm.JobsContainer, _farm.ResultsContainer }));
        foreach (var container in newContainers)
            await foreach (var blob in azure.ListAsync(container, ""))
                Assert.True(blob.Name.StartsWith("manifests/tenant-a/", StringComparison.Ordinal) || blob.Name.StartsWith("events/tenant-a.", StringComparison.Ordinal)
                    || blob.Name.StartsWith("tenants/tenant-a/", StringComparison.Ordinal),
                    $"blob outside the tenant's area: {container}/{blob.Name}");
        Assert.True(total >= 2 * CasesPerStore);
    }

    private static async Task<HashSet<string>> ContainersAsync(AzureBlobStore store)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var c in store.Service.GetBlobContainersAsync()) names.Add(c.Name);
        return names;
    }

    private static SortedDictionary<string, string> Snapshot(string root, string except)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            if (path == except || path.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            var info = new FileInfo(path);
            result[path] = info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}" : "dir";
        }
        return result;
    }
}

/// <summary>One generated request: method, path (already escaped) and body bytes.</summary>
public sealed record HostileRequest(string Method, string Path, byte[]? Body, string ContentType)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        return message;
    }

    public override string ToString() =>
        $"{Method} {Path} {(Body is null ? "" : $"[{Body.Length} bytes] {Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300))}")}";
}

/// <summary>The generators: hostile strings, JSON values built around the submission's fields, and requests.</summary>
public static class Generators
{
    public static Gen<string> HostileString(string secret, string jobs, string results)
    {
        var attacks = Gen.OneOf<string>(
            "/tmp", "/etc/passwd", secret, Path.GetDirectoryName(secret)!, "..", ".", "../..", "../outside/secret.txt", "a/../../outside/secret.txt",
            "..\\..\\secret.txt", "C:\\Windows\\win.ini", "\\\\server\\share\\x", "%2e%2e%2f%2e%2e%2fsecret", "file:///etc/passwd", "~/.ssh/id_rsa",
            jobs, results, "histream-state", "histream-jobs", "tenants/tenant-b/x.jsonl", "tenant-b.job-1", "a\u0000b", "\u202eevil", "\ud800", "\udfff",
            "con", "nul", "a\r\nb", "  ", "", "-", "a--b", "x/", "/", "//", new string('a', 1025), new string('/', 300), "tenants/tenant-a/../../x");
        var chars = Gen.Frequency(
            W(6, Gen.Char["abcxyz0123456789-_."]),
            W(3, Gen.Char["/\\:.~%*?<>|\"'"]),
            W(2, Gen.Char['\u0000', '\u001f']),
            W(1, Gen.Char['\u0080', '\uffff']));
        var random = chars.Array[0, 40].Select(a => new string(a));
        var huge = Gen.Int[1000, 120_000].Select(n => new string('x', n));
        return Gen.Frequency(W(4, attacks), W(5, random), W(1, huge));
    }

    private static Gen<string> Number => Gen.OneOf<string>(
        "0", "-1", "1", "9", "32", "2147483648", "-2147483649", "99999999999999999999999999999999", "1e400", "-1e400", "1.5", "NaN", "0x10",
        "9223372036854775808", "33", "4294967296", "1" + new string('0', 5000));

    /// <summary>A JSON text (possibly malformed on purpose) for one value.</summary>
    private static Gen<string> Value(Gen<string> strings) =>
        Gen.Frequency(
            W(5, strings.Select(Quote)),
            W(3, Number),
            W(1, Gen.OneOf<string>("null", "true", "{}", "[]", "\"", "{", "[1,")),
            W(1, Gen.Int[1, 3000].Select(d => new string('[', d) + new string(']', d))),
            W(1, Gen.Int[1, 2000].Select(d => string.Concat(Enumerable.Repeat("{\"a\":", d)) + "1" + new string('}', d))));

    public static Gen<HostileRequest> Request(string secret, string jobs, string results)
    {
        var s = HostileString(secret, jobs, results);
        var v = Value(s);
        var item = Gen.Select(v, v, v, v, v, v, v, Gen.Int[0, 7],
            (prompt, size, frames, sampler, seed, id, option, pick) => pick switch
            {
                0 => $"{{\"prompt\":{prompt},\"size\":{size},\"frames\":{frames}}}",
                1 => $"{{\"prompt\":\"a fox\",\"size\":\"32x32\",\"frames\":9,\"id\":{id},\"seed\":{seed}}}",
                2 => $"{{\"prompt\":{prompt},\"width\":{frames},\"height\":{seed},\"sampler\":{sampler}}}",
                3 => $"{{\"prompt\":\"a fox\",\"samplerOptions\":{{{Quote(Strip(prompt))}:{option}}}}}",
                4 => $"{{{Quote(Strip(id))}:{option}}}",
                5 => $"{{\"prompt\":{prompt},\"id\":{id},\"size\":\"32x32\",\"frames\":9}}",
                6 => $"{{\"prompt\":\"ok\",\"size\":\"32x32\",\"frames\":9,\"sampler\":{sampler}}}",
                _ => option,
            });
        var items = item.Array[0, 6].Select(a => "[" + string.Join(",", a) + "]");
        var submission = Gen.Select(v, v, v, v, v, items, Gen.Int[0, 5],
            (jobId, container, prefix, name, priority, list, pick) => pick switch
            {
                0 => $"{{\"jobId\":{jobId},\"items\":{list}}}",
                1 => $"{{\"output\":{{\"container\":{container},\"prefix\":{prefix}}},\"items\":{list}}}",
                2 => $"{{\"manifest\":{{\"container\":{container},\"name\":{name}}}}}",
                3 => $"{{\"priority\":{priority},\"tags\":[{jobId},{prefix}],\"defaults\":{{\"prompt\":{name}}},\"items\":{list}}}",
                4 => $"{{\"manifest\":{{\"container\":{Quote(results)},\"name\":{name}}},\"output\":{{\"prefix\":{prefix}}}}}",
                _ => list,
            });
        var bytes = Gen.Select(submission, Gen.Int[0, 9], Gen.Byte.Array[1, 8], (text, mutate, junk) =>
        {
            var data = Encoding.UTF8.GetBytes(text);
            if (mutate > 2) return data;
            // Invalid UTF-8 (lone continuation bytes, truncated sequences, 0xFF) spliced in.
            var at = data.Length == 0 ? 0 : junk[0] % data.Length;
            var bad = junk.Select(b => (byte)(b | 0x80)).Append((byte)0xFF).ToArray();
            return [.. data[..at], .. bad, .. data[at..]];
        });
        var jsonl = Gen.Select(item.Array[1, 8], Gen.Byte.Array[0, 4], (lines, junk) =>
            Encoding.UTF8.GetBytes(string.Join("\n", lines)).Concat(junk).ToArray());
        var query = Gen.Select(s, s, s, s, (a, b, c, d) =>
            $"jobId={Uri.EscapeDataString(a)}&container={Uri.EscapeDataString(b)}&prefix={Uri.EscapeDataString(c)}&size={Uri.EscapeDataString(d)}&tag={Uri.EscapeDataString(a)}");
        var segment = s.Select(x => x.Length == 0 ? "%20" : Uri.EscapeDataString(x.Length > 200 ? x[..200] : x));
        var route = Gen.Select(segment, segment, segment, Gen.Int[0, 9], (job, video, file, pick) => pick switch
        {
            0 => new HostileRequest("GET", $"/jobs/{job}", null, ""),
            1 => new HostileRequest("GET", $"/jobs/{job}/videos/{video}", null, ""),
            2 => new HostileRequest("GET", $"/jobs/{job}/videos/{video}/files/{file}", null, ""),
            3 => new HostileRequest("GET", $"/jobs/{job}/videos/{video}/files/{file.Replace("%2F", "/")}", null, ""),
            4 => new HostileRequest("POST", $"/jobs/{job}/cancel", null, ""),
            5 => new HostileRequest("POST", $"/jobs/{job}/retry", null, ""),
            6 => new HostileRequest("GET", $"/jobs/{job}/results?skip={video}&take={file}", null, ""),
            7 => new HostileRequest("GET", $"/jobs/{job}/events?after={video}", null, ""),
            8 => new HostileRequest("GET", $"/jobs?tenant={job}&skip={video}", null, ""),
            _ => new HostileRequest("GET", $"/jobs/{job}/videos/{video}/files", null, ""),
        });
        // Valid jobs whose free-text and path fields are hostile: these are accepted or refused field by field, and
        // the accepted ones write manifest pages, so the write path is exercised too.
        var nearlyValid = Gen.Select(s, s, Gen.Int[0, 2], (prompt, prefix, pick) =>
        {
            var p = Quote(prompt.Length > 300 ? prompt[..300] : prompt);
            return pick switch
            {
                0 => $"{{\"items\":[{{\"prompt\":{p},\"size\":\"32x32\",\"frames\":9}}]}}",
                1 => $"{{\"output\":{{\"prefix\":{Quote(prefix)}}},\"items\":[{{\"prompt\":{p},\"size\":\"32x32\",\"frames\":9}}]}}",
                _ => $"{{\"jobId\":{Quote(prefix)},\"tags\":[{p}],\"items\":[{{\"prompt\":\"ok\",\"size\":\"32x32\",\"frames\":9,\"id\":{Quote(prompt)}}}]}}",
            };
        });
        var hugeBody = Gen.Int[200_000, 400_000].Select(n => new HostileRequest("POST", "/jobs", Encoding.UTF8.GetBytes("{\"items\":[{\"prompt\":\"" + new string('x', n) + "\"}]}"), "application/json"));
        return Gen.Frequency(
            W(10, bytes.Select(b => new HostileRequest("POST", "/jobs", b, "application/json"))),
            W(3, nearlyValid.Select(t => new HostileRequest("POST", "/jobs", Encoding.UTF8.GetBytes(t), "application/json"))),
            W(4, Gen.Select(jsonl, query, (b, q) => new HostileRequest("POST", "/jobs/upload?" + q, b, "application/x-ndjson"))),
            W(1, Gen.Select(jsonl, query, (b, q) => new HostileRequest("POST", "/jobs/upload?" + q, b, "multipart/form-data; boundary=xyz"))),
            W(4, route),
            W(1, hugeBody));
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static (int, IGen<T>) W<T>(int weight, Gen<T> gen) => (weight, gen);

    private static string Strip(string json) => json.Length >= 2 && json[0] == '"' ? JsonSerializer.Deserialize<string>(json) ?? "" : json;
}
