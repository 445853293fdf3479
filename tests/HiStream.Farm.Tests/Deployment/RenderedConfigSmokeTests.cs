using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HiStream.Farm.Tests.Infrastructure;

namespace HiStream.Farm.Tests.Deployment;

/// <summary>The silo and gateway started as processes with the environment the cpu-dev overlay (deploy/kustomize/cpu-dev) gives their pods
/// (service host names and ports swapped for loopback ones, the storage secret for Azurite): the probes answer on the
/// http port, metrics and dashboard on the management port only (and the gateway's demand on its own), a job renders
/// through the gateway, and SIGTERM ends the silo within its shutdown timeout.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RenderedConfigSmokeTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Cpu_dev_configuration_runs_a_farm_that_answers_the_manifests_probes()
    {
        var m = Manifests.Kustomize(KustomizeTests.CpuDev);
        Assert.True(m.Merged, "needs kubectl to apply the overlay");
        using var redis = ServerProcess.Start("redis-server", p => ["--port", p.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], TimeSpan.FromSeconds(20));
        int siloHttp = ServerProcess.FreePort(), siloManagement = ServerProcess.FreePort();
        int gatewayHttp = ServerProcess.FreePort(), gatewayManagement = ServerProcess.FreePort();
        var loopback = new Dictionary<string, string>
        {
            ["Orleans__Redis"] = $"127.0.0.1:{redis.Port}",
            ["Orleans__SiloPort"] = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Farm__Blob__ConnectionString"] = azurite.ConnectionString,
        };

        var siloEnv = Rendered(m, "silo", loopback);
        siloEnv["ASPNETCORE_HTTP_PORTS"] = siloHttp.ToString(CultureInfo.InvariantCulture);
        Assert.True(siloEnv.ContainsKey("Management__Port"), "silo: the rendered environment sets no Management__Port");
        siloEnv["Management__Port"] = siloManagement.ToString(CultureInfo.InvariantCulture);
        siloEnv["POD_IP"] = "127.0.0.1";
        siloEnv["POD_NAME"] = "histream-silo-smoke";
        var siloPod = FarmChecks.Find(m, "silo");
        using var silo = AppProcess.Start("HiStream.Silo.dll", siloEnv);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var siloUrl = $"http://127.0.0.1:{siloHttp}";
        var managementUrl = $"http://127.0.0.1:{siloManagement}";

        await WaitForStatusAsync(http, silo, siloUrl + siloPod.Container.LivenessProbe.HttpGet.Path, HttpStatusCode.OK);
        await WaitForStatusAsync(http, silo, siloUrl + siloPod.Container.ReadinessProbe.HttpGet.Path, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(siloUrl + siloPod.Container.StartupProbe.HttpGet.Path)).StatusCode);

        var metricsPath = siloPod.Pod.Metadata.Annotations["prometheus.io/path"];
        var scrape = await http.GetStringAsync(managementUrl + metricsPath);
        foreach (var series in MonitoringFiles.AdapterInputSeries())
            Assert.True(scrape.Contains($"\n{series}{{", StringComparison.Ordinal), $"/metrics has no {series} series, which the autoscaling rule reads.\n{scrape[..Math.Min(scrape.Length, 2000)]}");
        Assert.Contains("silo=\"histream-silo-smoke\"", scrape); // POD_NAME became the silo name
        // cpu-dev turns the dashboard on: it answers on the management port, and neither it nor /metrics on the http port.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(managementUrl + "/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(siloUrl + "/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(siloUrl + metricsPath)).StatusCode);

        var gatewayEnv = Rendered(m, "gateway", loopback);
        gatewayEnv["ASPNETCORE_HTTP_PORTS"] = gatewayHttp.ToString(CultureInfo.InvariantCulture);
        Assert.True(gatewayEnv.ContainsKey("Management__Port"), "gateway: the rendered environment sets no Management__Port");
        gatewayEnv["Management__Port"] = gatewayManagement.ToString(CultureInfo.InvariantCulture);
        var gatewayPod = FarmChecks.Find(m, "gateway");
        using var gateway = AppProcess.Start("histream.dll", gatewayEnv, gatewayPod.Container.Args.ToArray());
        var gatewayUrl = $"http://127.0.0.1:{gatewayHttp}";
        await WaitForStatusAsync(http, gateway, gatewayUrl + gatewayPod.Container.ReadinessProbe.HttpGet.Path, HttpStatusCode.OK);
        // KEDA's demand: on the gateway's management port, not on the port the API (and the Ingress) uses.
        var demandUrl = new Uri(KedaChecks.Read(Assert.Single(m.Custom)).Url).AbsolutePath;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{gatewayManagement}{demandUrl}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(gatewayUrl + demandUrl)).StatusCode);

        // One tiny video through the whole farm as configured: gateway -> queue grain -> silo -> Azurite.
        var submit = await http.PostAsJsonAsync(gatewayUrl + "/jobs", new { items = new[] { new { prompt = "a kite over green hills", size = "32x32", frames = 9 } } });
        Assert.True(submit.StatusCode == HttpStatusCode.Accepted, $"{submit.StatusCode}: {await submit.Content.ReadAsStringAsync()}\n{gateway.Output}");
        var jobId = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetString();
        string state = "";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && state is not ("completed" or "completedWithFailures" or "cancelled"))
        {
            await Task.Delay(250);
            state = (await http.GetFromJsonAsync<JsonElement>($"{gatewayUrl}/jobs/{jobId}")).GetProperty("state").GetString()!;
        }
        Assert.True(state == "completed", $"job {jobId} is {state}\nsilo:\n{Tail(silo.Output)}");
        Assert.Contains("histream_chunks_rendered_total", await http.GetStringAsync(managementUrl + metricsPath));

        // Pod termination: SIGTERM, and the silo must be gone well within terminationGracePeriodSeconds.
        var shutdown = TimeSpan.Parse(siloEnv["Farm__ShutdownTimeout"], CultureInfo.InvariantCulture);
        Assert.True(siloPod.Pod.Spec.TerminationGracePeriodSeconds > shutdown.TotalSeconds);
        var stopping = Stopwatch.StartNew();
        silo.Terminate();
        Assert.True(silo.WaitForExit(shutdown), $"the silo did not exit within {shutdown} of SIGTERM\n{Tail(silo.Output)}");
        Assert.True(silo.ExitCode == 0, $"exit code {silo.ExitCode}\n{Tail(silo.Output)}");
        Assert.True(stopping.Elapsed < shutdown);
        Assert.Contains("Orleans Silo stopped", silo.Output);
    }

    /// <summary>The container's rendered environment (ConfigMap values), with the loopback stand-ins for what
    /// Kubernetes would resolve (service names, secret).</summary>
    private static Dictionary<string, string> Rendered(Manifests m, string container, IReadOnlyDictionary<string, string> loopback)
    {
        var env = FarmChecks.Environment(m, container);
        var result = env.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
        foreach (var (k, v) in loopback)
        {
            Assert.True(env.ContainsKey(k), $"{container}: the rendered environment has no {k} to stand in for.");
            result[k] = v;
        }
        return result;
    }

    private static async Task WaitForStatusAsync(HttpClient http, AppProcess process, string url, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (clock.Elapsed < StartTimeout)
        {
            Assert.False(process.HasExited, $"the process exited ({(process.HasExited ? process.ExitCode : 0)}) before {url} answered\n{Tail(process.Output)}");
            try
            {
                last = (await http.GetAsync(url)).StatusCode;
                if (last == expected) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        Assert.Fail($"{url} answered {last?.ToString() ?? "nothing"} for {StartTimeout}, not {expected}\n{Tail(process.Output)}");
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
