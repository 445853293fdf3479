using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using HiStream.Farm.Tests.Deployment;
using HiStream.Gateway.Cli;
using HiStream.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace HiStream.Farm.Tests.Security;

/// <summary>The management port (src/Silo/Hosting/ManagementPort.cs): the silo's endpoints on a real Kestrel with two
/// free loopback ports (/metrics answers there and 404s on the public port, whatever Host header a caller sends; the
/// Orleans dashboard is absent unless Management:Dashboard turns it on, which the cpu-dev smoke test covers), the
/// settings, and silo and gateway refusing a bad port at start. The gateway's /scaling/demand: ScalingAndWebhookApiTests.</summary>
public sealed class ManagementPortTests
{
    [Fact]
    public async Task Metrics_answer_only_on_the_management_port_and_the_dashboard_is_off_by_default()
    {
        int publicPort = ServerProcess.FreePort(), managementPort = ServerProcess.FreePort();
        using var meter = new Meter($"HiStream.Tests.Management.{Guid.NewGuid():N}");
        var counter = meter.CreateCounter<long>("histream_test_scrapes");
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{publicPort}",
            ["Management:Port"] = managementPort.ToString(CultureInfo.InvariantCulture),
        });
        var management = ManagementPort.FromConfiguration(builder.Configuration);
        builder.ListenOnManagementPort(management);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(meter.Name).AddPrometheusExporter());
        await using var app = builder.Build();
        app.MapManagementEndpoints(management);
        app.MapGet("/healthz", () => Results.Text("ok"));
        await app.StartAsync();
        counter.Add(3); // after the start: the host creates the MeterProvider that listens

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string publicUrl = $"http://127.0.0.1:{publicPort}", managementUrl = $"http://127.0.0.1:{managementPort}";
        Assert.False(management.Dashboard);
        var scrape = await http.GetAsync(managementUrl + "/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("histream_test_scrapes_total", await scrape.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(publicUrl + "/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(publicUrl + "/healthz")).StatusCode);
        foreach (var url in new[] { publicUrl, managementUrl })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url + "/dashboard")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url + "/dashboard/")).StatusCode);
        }

        // RequireHost("*:port") would let this through: the Host header is the caller's to choose.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, publicUrl + "/metrics");
        spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(spoofed)).StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public void Defaults_are_port_9090_with_the_dashboard_off()
    {
        var management = ManagementPort.FromConfiguration(Configuration());
        Assert.Equal(new ManagementPort(9090, false), management);
        Assert.True(ManagementPort.FromConfiguration(Configuration(("Management:Dashboard", "true"))).Dashboard);
    }

    [Fact]
    public void Listens_on_the_public_ports_the_host_would_use_plus_the_management_port()
    {
        var management = new ManagementPort(9090, false);
        Assert.Equal(["http://*:8080", "http://*:9090"], management.ListenUrls(Configuration(("http_ports", "8080"))));
        Assert.Equal(["http://*:8080", "https://*:8443", "http://*:9090"], management.ListenUrls(Configuration(("http_ports", "8080"), ("https_ports", "8443"))));
        // urls wins over http_ports, as in ASP.NET Core.
        Assert.Equal(["http://127.0.0.1:5100", "http://*:9090"], management.ListenUrls(Configuration(("urls", "http://127.0.0.1:5100"), ("http_ports", "8080"))));
        Assert.Equal(["http://localhost:5000", "http://*:9090"], management.ListenUrls(Configuration()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("nine")]
    public void A_port_outside_the_tcp_range_is_refused_naming_the_setting(string port)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ManagementPort.FromConfiguration(Configuration(("Management:Port", port))));
        Assert.Contains("Management:Port", error.Message);
    }

    [Fact]
    public void A_management_port_that_is_also_a_public_port_is_refused()
    {
        var management = ManagementPort.FromConfiguration(Configuration(("Management:Port", "8080")));
        var error = Assert.Throws<InvalidOperationException>(() => management.ListenUrls(Configuration(("http_ports", "8080"))));
        Assert.Contains("Management:Port 8080", error.Message);
    }

    [Fact]
    public void The_gateway_refuses_to_serve_with_its_management_port_on_the_api_port() =>
        Assert.Null(ServeCommand.Build(["--urls=http://127.0.0.1:5123", "--Management:Port=5123"], anonymous: true));

    [Fact]
    public void The_silo_process_exits_with_code_2_naming_the_setting_when_its_management_port_is_the_http_port()
    {
        using var silo = AppProcess.Start("HiStream.Silo.dll", new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = "8080",
            ["Management__Port"] = "8080",
        });
        Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(60)), "the silo did not stop");
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains("histream-silo: Management:Port 8080 is also the public HTTP port", silo.Output);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
}
