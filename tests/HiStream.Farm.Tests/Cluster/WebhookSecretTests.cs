using System.Text;
using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Results;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>Which key signs a job's webhook: the tenant's own (Farm:Webhooks:TenantSecrets:&lt;tenant&gt;), else the
/// shared Farm:Webhooks:Secret; with neither, nothing is sent. Checked on what a real receiver gets.</summary>
public sealed class WebhookSecretTests
{
    private static readonly byte[] Body = "{\"job\":\"acme.render-1\"}"u8.ToArray();

    private static WebhookSender Sender(string? shared, Dictionary<string, string> tenants) => new(Microsoft.Extensions.Options.Options.Create(new FarmOptions
    {
        Webhooks = new WebhookOptions { Secret = shared, TenantSecrets = tenants, AllowInternalAddresses = true, MaxAttempts = 1 },
    }), NullLogger<WebhookSender>.Instance);

    [Fact]
    public async Task A_tenant_with_its_own_secret_is_signed_with_it_and_others_with_the_shared_one()
    {
        using var receiver = new HttpRecorder((_, _) => (200, "{}"));
        var sender = Sender("shared-secret", new() { ["acme"] = "acme-secret", ["globex"] = "globex-secret" });

        foreach (var tenant in new[] { "acme", "globex", "initech", null })
            Assert.True(await sender.SendAsync($"{receiver.Url}/hooks", "job.finished", Body, tenant, CancellationToken.None));

        var signatures = receiver.Requests.Select(r => r.Headers[WebhookSender.SignatureHeader]).ToList();
        Assert.Equal([WebhookSender.Sign("acme-secret", Body), WebhookSender.Sign("globex-secret", Body),
            WebhookSender.Sign("shared-secret", Body), WebhookSender.Sign("shared-secret", Body)], signatures);
        Assert.Equal(Encoding.UTF8.GetString(Body), receiver.Requests.First().Body);
    }

    [Fact]
    public async Task Without_a_secret_for_the_job_nothing_is_sent()
    {
        using var receiver = new HttpRecorder((_, _) => (200, "{}"));
        var sender = Sender(shared: null, new() { ["acme"] = "acme-secret", ["globex"] = "" });

        Assert.False(await sender.SendAsync($"{receiver.Url}/hooks", "job.finished", Body, "globex", CancellationToken.None));
        Assert.False(await sender.SendAsync($"{receiver.Url}/hooks", "job.finished", Body, null, CancellationToken.None));
        Assert.Empty(receiver.Requests);
        Assert.True(await sender.SendAsync($"{receiver.Url}/hooks", "job.finished", Body, "acme", CancellationToken.None));
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public void Tenant_secrets_bind_from_configuration_by_tenant_name()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Farm:Webhooks:Secret"] = "shared-secret",
            ["Farm:Webhooks:TenantSecrets:acme"] = "acme-secret",
        }).Build();
        var options = new FarmOptions();
        configuration.GetSection(FarmOptions.Section).Bind(options);
        Assert.Equal("acme-secret", options.Webhooks.SecretFor("acme"));
        Assert.Equal("shared-secret", options.Webhooks.SecretFor("globex"));
        Assert.Equal("shared-secret", options.Webhooks.SecretFor(null));
    }
}
