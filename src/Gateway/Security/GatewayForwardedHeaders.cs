using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Security;

/// <summary>Behind an ingress (configuration section <c>Gateway:ForwardedHeaders</c>, off by default): ASP.NET Core's
/// forwarded-headers middleware takes the client address, scheme and host from <c>X-Forwarded-For</c>,
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>, but only from the proxies listed here, so the rate limiter
/// partitions by the real client and download links carry the public scheme and host.</summary>
public sealed class GatewayForwardedHeaders
{
    public const string Section = "Gateway:ForwardedHeaders";

    public bool Enabled { get; set; }

    /// <summary>Addresses of the proxies whose headers are believed (e.g. the ingress controller's Service IP).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks in CIDR notation whose headers are believed (e.g. the pod network the ingress controller runs in).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

public static class GatewayForwardedHeadersSetup
{
    /// <summary>Checks the settings and configures the middleware; a bad address or an empty trust list is refused.</summary>
    public static IServiceCollection AddGatewayForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(GatewayForwardedHeaders.Section);
        services.Configure<GatewayForwardedHeaders>(section);
        var settings = section.Get<GatewayForwardedHeaders>() ?? new GatewayForwardedHeaders();
        if (!settings.Enabled) return services;
        if (settings.KnownProxies.Count == 0 && settings.KnownNetworks.Count == 0)
            throw new InvalidOperationException($"{GatewayForwardedHeaders.Section}:Enabled is true but neither {GatewayForwardedHeaders.Section}:KnownProxies nor KnownNetworks is set: " +
                "name the ingress's addresses or network, or any client could claim any address.");
        var proxies = settings.KnownProxies.Select((p, i) => IPAddress.TryParse(p, out var address) ? address
            : throw new InvalidOperationException($"{GatewayForwardedHeaders.Section}:KnownProxies:{i} '{p}' is not an IP address.")).ToList();
        var networks = settings.KnownNetworks.Select((n, i) => System.Net.IPNetwork.TryParse(n, out var network) ? network
            : throw new InvalidOperationException($"{GatewayForwardedHeaders.Section}:KnownNetworks:{i} '{n}' is not a network in CIDR notation (e.g. 10.244.0.0/16).")).ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies) o.KnownProxies.Add(proxy);
            foreach (var network in networks) o.KnownIPNetworks.Add(network);
        });
        return services;
    }

    /// <summary>The middleware, first in the pipeline, when enabled.</summary>
    public static WebApplication UseGatewayForwardedHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<GatewayForwardedHeaders>>().Value.Enabled) app.UseForwardedHeaders();
        return app;
    }
}
