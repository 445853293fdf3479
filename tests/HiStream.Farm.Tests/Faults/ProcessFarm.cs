using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using HiStream.Farm.Tests.Deployment;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Faults;

/// <summary>A farm of real processes on loopback, started by the tests: redis-server (membership), Azurite (results
/// and grain state, restartable on the same port and data folder), silo processes (HiStream.Silo.dll, 2 slots, tiny
/// model) and a gateway process (<c>histream serve</c>). Every process is stopped by PID on dispose.</summary>
public sealed class ProcessFarm : IAsyncLifetime
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(150);

    private readonly string _azuriteData = Directory.CreateTempSubdirectory("histream-faults-azurite-").FullName;
    private readonly List<SiloProcess> _silos = [];
    private ServerProcess? _redis;
    private ServerProcess? _azurite;
    private AppProcess? _gateway;
    private int _azuritePort;
    private int _nextSilo;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public string GatewayUrl { get; private set; } = "";
    public string ConnectionString => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:{_azuritePort}/devstoreaccount1;";
    public AzureBlobStore Blobs => AzureBlobStore.FromConnectionString(ConnectionString);
    public IReadOnlyList<SiloProcess> Silos => _silos;

    public async Task InitializeAsync()
    {
        _redis = ServerProcess.Start("redis-server", p => ["--port", p.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], TimeSpan.FromSeconds(20));
        StartAzurite(ServerProcess.FreePort());
        await StartSilosAsync(2); // the gateway's Orleans client needs a silo to connect to
        int http = ServerProcess.FreePort();
        _gateway = AppProcess.Start("histream.dll", new Dictionary<string, string>(Common()) { ["ASPNETCORE_HTTP_PORTS"] = Port(http), ["Management__Port"] = Port(ServerProcess.FreePort()) },
            "serve", "--anonymous");
        GatewayUrl = $"http://127.0.0.1:{http}";
        await WaitForAsync(_gateway, GatewayUrl + "/healthz");
    }

    /// <summary>Settings every process shares (membership, storage, the tiny model on one thread, short leases).</summary>
    private Dictionary<string, string> Common() => new()
    {
        ["Orleans__Redis"] = $"127.0.0.1:{_redis!.Port}",
        ["Farm__Blob__ConnectionString"] = ConnectionString,
        ["Farm__State__Provider"] = "azureblob",
        ["Engine__Threads"] = "1",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__HiStream"] = "Information",
    };

    /// <summary>Starts a silo (2 slots) and waits until it is ready.</summary>
    public async Task<SiloProcess> StartSiloAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var name = $"silo-{(char)('a' + _nextSilo++)}";
        int http = ServerProcess.FreePort();
        var env = Common();
        env["Orleans__SiloPort"] = Port(ServerProcess.FreePort());
        env["Orleans__GatewayPort"] = Port(ServerProcess.FreePort());
        env["ASPNETCORE_HTTP_PORTS"] = Port(http);
        env["Management__Port"] = Port(ServerProcess.FreePort()); // silos side by side: not all on 9090
        env["POD_IP"] = "127.0.0.1";
        env["POD_NAME"] = name;
        env["Farm__Slots"] = "2";
        env["Farm__PollInterval"] = "00:00:00.250";
        env["Farm__LeaseDuration"] = "00:00:30";
        env["Farm__LeaseRenewInterval"] = "00:00:05";
        env["Farm__DrainTimeout"] = "00:00:05";
        env["Farm__ShutdownTimeout"] = "00:00:30";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) env[k] = v;
        var silo = new SiloProcess(name, $"http://127.0.0.1:{http}", AppProcess.Start("HiStream.Silo.dll", env));
        _silos.Add(silo);
        await WaitForAsync(silo.Process, silo.Url + "/ready");
        return silo;
    }

    /// <summary>Starts silos in parallel (each loads the model) and waits until all are ready.</summary>
    public async Task<SiloProcess[]> StartSilosAsync(int count, IReadOnlyDictionary<string, string>? settings = null) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => StartSiloAsync(settings)));

    /// <summary>Storage goes away without losing what it acknowledged, as Azure Storage would.</summary>
    public void StopAzurite() => _azurite?.Stop(TimeSpan.FromSeconds(10));

    /// <summary>Azurite again, on the same port with the same data folder.</summary>
    public void RestartAzurite() => StartAzurite(_azuritePort);

    private void StartAzurite(int port)
    {
        var azurite = Environment.GetEnvironmentVariable("HISTREAM_AZURITE") is { Length: > 0 } env ? env
            : Path.Combine(RepoPaths.Root, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
        _azuritePort = port;
        _azurite = ServerProcess.Start(azurite, p => ["--blobHost", "127.0.0.1", "--blobPort", Port(p), "--location", _azuriteData, "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
            TimeSpan.FromSeconds(60), port);
    }

    public async Task<string> SubmitAsync(object job)
    {
        var response = await Http.PostAsJsonAsync(GatewayUrl + "/jobs", job);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!;
    }

    public async Task<JsonElement> JobAsync(string jobId) => await Http.GetFromJsonAsync<JsonElement>($"{GatewayUrl}/jobs/{jobId}");

    public async Task<JsonElement> VideoAsync(string jobId, string videoId) => await Http.GetFromJsonAsync<JsonElement>($"{GatewayUrl}/jobs/{jobId}/videos/{videoId}");

    /// <summary>Polls until the condition holds (a failed poll counts as false); fails with the farm's output after the timeout.</summary>
    public async Task<T> WaitAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what, Func<string?>? lastSeen = null) where T : class
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await probe() is { } value) return value;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                last = ex;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"Timed out after {timeout} waiting for {what} ({last?.Message}; last seen: {lastSeen?.Invoke()})\n{Logs()}");
        return null!;
    }

    public async Task<JsonElement> WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        JsonElement? last = null;
        return await WaitAsync<object>(async () => (last = await JobAsync(jobId)) is { } s && s.GetProperty("state").GetString() is "completed" or "completedWithFailures" or "failed" or "cancelled" ? s : null,
            timeout, $"job {jobId} to finish", () => last?.ToString()) is JsonElement e ? e : default;
    }

    /// <summary>The tail of each process's output; the whole of it goes to a file whose path is named first.</summary>
    public string Logs()
    {
        var all = string.Join("\n", _silos.Select(s => $"--- {s.Name} ---\n{s.Process.Output}")) + $"\n--- gateway ---\n{_gateway?.Output}";
        var file = Path.Combine(Path.GetTempPath(), $"histream-process-farm-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}.log");
        File.WriteAllText(file, all);
        return $"full output: {file}\n" + string.Join("\n", _silos.Select(s => $"--- {s.Name} ---\n{Tail(s.Process.Output)}")) + $"\n--- gateway ---\n{Tail(_gateway?.Output ?? "")}";
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private async Task WaitForAsync(AppProcess process, string url)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            Assert.False(process.HasExited, $"the process exited before {url} answered\n{Tail(process.Output)}");
            try
            {
                if ((await Http.GetAsync(url)).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        Assert.Fail($"{url} did not answer 200 within {StartTimeout}\n{Tail(process.Output)}");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    public Task DisposeAsync()
    {
        foreach (var silo in _silos) silo.Process.Dispose();
        _gateway?.Dispose();
        _azurite?.Dispose();
        _redis?.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(_azuriteData, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }
}

/// <summary>One silo process: its name (POD_NAME, the silo name in statuses and metadata) and HTTP endpoint.</summary>
public sealed record SiloProcess(string Name, string Url, AppProcess Process);
