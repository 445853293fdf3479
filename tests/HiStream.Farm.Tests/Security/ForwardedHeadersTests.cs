using System.Net;
using System.Text.Json;
using HiStream.Gateway.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HiStream.Farm.Tests.Security;

/// <summary>Gateway:ForwardedHeaders: off by default; behind a known proxy the gateway sees the client's forwarded
/// address (the rate limiter's partition for callers without a key) and the public scheme and host (the URLs it
/// writes), and headers from any other address are ignored.</summary>
public sealed class ForwardedHeadersTests(LocalStoreFarm farm) : IClassFixture<LocalStoreFarm>
{
    private static readonly Dictionary<string, string?> Off = new();

    private static readonly Dictionary<string, string?> BehindLoopbackProxy = new()
    {
        ["Gateway:ForwardedHeaders:Enabled"] = "true",
        ["Gateway:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
    };

    /// <summary>The tests' client connects from 127.0.0.1, which is not in this network.</summary>
    private static readonly Dictionary<string, string?> BehindOtherProxies = new()
    {
        ["Gateway:ForwardedHeaders:Enabled"] = "true",
        ["Gateway:ForwardedHeaders:KnownNetworks:0"] = "10.244.0.0/16",
    };

    [Fact]
    public async Task Off_by_default_every_caller_behind_the_proxy_shares_the_proxys_rate_limit()
    {
        await using var gateway = await StartLimitedAsync(Off);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(gateway, "203.0.113.2"));
        var servers = await OpenApiServersAsync(Off);
        Assert.Contains("http://127.0.0.1:", servers);
        Assert.DoesNotContain("histream.example.com", servers);
    }

    [Fact]
    public async Task Behind_a_known_proxy_each_forwarded_client_has_its_own_limit_and_the_public_host_is_used()
    {
        await using var gateway = await StartLimitedAsync(BehindLoopbackProxy);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "203.0.113.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(gateway, "203.0.113.1"));
        Assert.Contains("https://histream.example.com", await OpenApiServersAsync(BehindLoopbackProxy));
    }

    [Fact]
    public async Task Headers_from_an_address_that_is_not_a_known_proxy_are_ignored()
    {
        await using var gateway = await StartLimitedAsync(BehindOtherProxies);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "203.0.113.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(gateway, "203.0.113.2"));
        Assert.DoesNotContain("histream.example.com", await OpenApiServersAsync(BehindOtherProxies));
    }

    [Theory]
    [InlineData("", "", "neither Gateway:ForwardedHeaders:KnownProxies nor KnownNetworks is set")]
    [InlineData("10.0.0.300", "", "Gateway:ForwardedHeaders:KnownProxies:0 '10.0.0.300' is not an IP address")]
    [InlineData("", "10.244.0.0/40", "Gateway:ForwardedHeaders:KnownNetworks:0 '10.244.0.0/40' is not a network in CIDR notation")]
    public void Bad_settings_are_refused_naming_the_setting(string proxy, string network, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:ForwardedHeaders:Enabled"] = "true" };
        if (proxy.Length > 0) settings["Gateway:ForwardedHeaders:KnownProxies:0"] = proxy;
        if (network.Length > 0) settings["Gateway:ForwardedHeaders:KnownNetworks:0"] = network;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGatewayForwardedHeaders(configuration));
        Assert.Contains(expected, error.Message);
    }

    /// <summary>A request without a key, as a proxy would forward it for <paramref name="client"/>.</summary>
    private static async Task<HttpStatusCode> StatusAsync(SecureGateway gateway, string client)
    {
        using var http = gateway.Client(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.Add("X-Forwarded-For", client);
        return (await http.SendAsync(request)).StatusCode;
    }

    /// <summary>A gateway that lets each client address (callers without a key) make one request per minute.</summary>
    private Task<SecureGateway> StartLimitedAsync(IReadOnlyDictionary<string, string?> settings) =>
        SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?>(settings) { ["Gateway:Quotas:RequestsPerMinute"] = "1" });

    /// <summary>The server URLs of the OpenAPI document, which ASP.NET Core writes from the request's scheme and host,
    /// as a gateway without a rate limit serves it to a forwarded request.</summary>
    private async Task<string> OpenApiServersAsync(IReadOnlyDictionary<string, string?> settings)
    {
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store, settings);
        using var http = gateway.Client(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "histream.example.com");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return document.TryGetProperty("servers", out var servers) ? servers.ToString() : "";
    }
}
