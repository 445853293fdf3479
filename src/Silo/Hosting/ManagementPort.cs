using System.Globalization;
using Microsoft.AspNetCore.Hosting;

namespace HiStream.Silo.Hosting;

/// <summary>The management port of a silo or the gateway: the silo's <c>/metrics</c> and Orleans dashboard, and the
/// gateway's <c>/scaling/demand</c>, answer only there, so a NetworkPolicy or an unexposed Service can keep them from
/// what reaches the public HTTP port (API, probes). <c>Management:Port</c> (default 9090); <c>Management:Dashboard</c>
/// (default false) turns the silo's dashboard on (the gateway has none).</summary>
public sealed record ManagementPort(int Port, bool Dashboard)
{
    public const int DefaultPort = 9090;

    /// <summary>Reads and checks the settings; a port outside 1-65535 is refused with the setting's name.</summary>
    public static ManagementPort FromConfiguration(IConfiguration configuration)
    {
        int port = configuration.GetValue("Management:Port", DefaultPort);
        if (port is < 1 or > 65535) throw new InvalidOperationException($"Management:Port is {port}: it must be a TCP port from 1 to 65535.");
        return new ManagementPort(port, configuration.GetValue("Management:Dashboard", false));
    }

    /// <summary>The addresses Kestrel listens on: the public ones ASP.NET Core would use (<c>urls</c>, else
    /// <c>http_ports</c>/<c>https_ports</c>, else its default) plus this port on every interface. Kestrel binds
    /// either configured URLs or endpoints set in code, never both, so the public ones are repeated here.</summary>
    public IReadOnlyList<string> ListenUrls(IConfiguration configuration)
    {
        var publicUrls = PublicUrls(configuration);
        foreach (var url in publicUrls)
            if (PortOf(url) == Port)
                throw new InvalidOperationException($"Management:Port {Port} is also the public HTTP port ({url}): choose another one, or /metrics and the dashboard would be public.");
        return [.. publicUrls, $"http://*:{Port.ToString(CultureInfo.InvariantCulture)}"];
    }

    private static List<string> PublicUrls(IConfiguration configuration)
    {
        if (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls) return Split(urls);
        var fromPorts = Split(configuration[WebHostDefaults.HttpPortsKey]).Select(p => $"http://*:{p}")
            .Concat(Split(configuration[WebHostDefaults.HttpsPortsKey]).Select(p => $"https://*:{p}"))
            .ToList();
        return fromPorts.Count > 0 ? fromPorts : ["http://localhost:5000"];
    }

    private static List<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static int? PortOf(string url)
    {
        int colon = url.LastIndexOf(':');
        var digits = new string(url[(colon + 1)..].TakeWhile(char.IsAsciiDigit).ToArray());
        return colon > 0 && int.TryParse(digits, CultureInfo.InvariantCulture, out var port) ? port : null;
    }
}
