using System.Net;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Results;
using Microsoft.Extensions.Logging.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Tenants choose webhook URLs and silos sit inside the cluster network: by default a webhook reaches public
/// addresses only.</summary>
public sealed class WebhookAddressTests
{
    private static WebhookSender Sender(bool allowInternal) => new(Microsoft.Extensions.Options.Options.Create(new FarmOptions
    {
        Webhooks = new WebhookOptions { Secret = "s3cret", AllowInternalAddresses = allowInternal, MaxAttempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(10) },
    }), NullLogger<WebhookSender>.Instance);

    [Fact]
    public async Task AWebhookToAnInternalAddressIsNotSentUnlessAllowed()
    {
        using var receiver = new HttpRecorder((_, _) => (200, "{}"));
        var body = "{\"job\":\"x\"}"u8.ToArray();

        Assert.False(await Sender(allowInternal: false).SendAsync($"{receiver.Url}/hooks?token=t", "job.finished", body, tenant: null, CancellationToken.None));
        Assert.False(await Sender(allowInternal: false).SendAsync($"http://localhost:{receiver.Port}/hooks", "job.finished", body, tenant: null, CancellationToken.None));
        Assert.Empty(receiver.Requests);

        Assert.True(await Sender(allowInternal: true).SendAsync($"{receiver.Url}/hooks", "job.finished", body, tenant: null, CancellationToken.None));
        Assert.Single(receiver.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void InternalAddressesAreTold(string address, bool isInternal) =>
        Assert.Equal(isInternal, WebhookAddressGuard.IsInternal(IPAddress.Parse(address)));
}
