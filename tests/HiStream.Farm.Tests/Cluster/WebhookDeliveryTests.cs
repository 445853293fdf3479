using HiStream.Farm.Tests.Infrastructure;
using HiStream.Grains.Hosting;
using HiStream.Grains.Results;
using Microsoft.Extensions.Logging.Abstractions;

namespace HiStream.Farm.Tests.Cluster;

/// <summary>How often a webhook is tried: Farm:Webhooks:MaxAttempts in all (1 = no retry; Polly refuses a retry
/// strategy of zero retries, which once made such a sender fail to construct).</summary>
public sealed class WebhookDeliveryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_failing_receiver_is_tried_max_attempts_times(int maxAttempts)
    {
        using var receiver = new HttpRecorder((_, _) => (503, "{}"));
        var sender = new WebhookSender(Microsoft.Extensions.Options.Options.Create(new FarmOptions
        {
            Webhooks = new WebhookOptions { Secret = "s3cret", AllowInternalAddresses = true, MaxAttempts = maxAttempts, FirstRetryDelay = TimeSpan.FromMilliseconds(10) },
        }), NullLogger<WebhookSender>.Instance);

        Assert.False(await sender.SendAsync($"{receiver.Url}/hooks", "job.finished", "{}"u8.ToArray(), tenant: null, CancellationToken.None));
        Assert.Equal(maxAttempts, receiver.Requests.Count);
    }
}
