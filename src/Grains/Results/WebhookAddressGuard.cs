using System.Net;
using System.Net.Sockets;

namespace HiStream.Grains.Results;

/// <summary>Where a webhook may connect. Tenants choose webhook URLs, and silos sit inside the cluster network, so by
/// default a webhook reaches public addresses only: not loopback, private (RFC 1918, unique-local), link-local (cloud
/// metadata), carrier-grade NAT or unspecified ones. The check runs when connecting, on the addresses the name
/// resolved to then, so a name that changes its answer after validation (DNS rebinding) is caught too.</summary>
public sealed class WebhookAddressGuard(bool allowInternal)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = allowInternal ? addresses : addresses.Where(a => !IsInternal(a)).ToArray();
        if (allowed.Length == 0)
            throw new WebhookAddressRefusedException($"webhook host '{host}' resolves only to internal addresses ({string.Join(", ", addresses.Select(a => a.ToString()))}); set Farm:Webhooks:AllowInternalAddresses to allow them");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => true,
            100 => b[1] >= 64 && b[1] < 128, // 100.64.0.0/10, carrier-grade NAT
            169 => b[1] == 254, // link-local, cloud metadata services
            172 => b[1] >= 16 && b[1] < 32,
            192 => b[1] == 168,
            >= 224 => true, // multicast and reserved
            _ => false,
        };
    }
}

/// <summary>A webhook URL that points inside the farm's network; not retried.</summary>
public sealed class WebhookAddressRefusedException(string message) : IOException(message);
