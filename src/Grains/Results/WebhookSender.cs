using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace HiStream.Grains.Results;

/// <summary>POSTs a job's finish notification to its webhook URL. The body is JSON; <c>X-HiStream-Signature:
/// sha256=&lt;hex&gt;</c> is HMAC-SHA256 of the body with the job's tenant's own secret
/// (<c>Farm:Webhooks:TenantSecrets:&lt;tenant&gt;</c>), else <c>Farm:Webhooks:Secret</c> (the receiver recomputes it and
/// compares in constant time), <c>X-HiStream-Delivery</c> is one id per notification (the same on every retry, and when a job's
/// finish notification is sent again after its silo stopped, so a receiver can drop repeats). Transient failures (network, timeouts, 408, 429, 5xx) are retried with exponential
/// backoff (Polly); any other answer ends the delivery. Without a secret nothing is sent.</summary>
public sealed class WebhookSender
{
    public const string SignatureHeader = "X-HiStream-Signature";
    public const string DeliveryHeader = "X-HiStream-Delivery";
    public const string EventHeader = "X-HiStream-Event";
    private readonly HttpClient _http;
    private readonly WebhookOptions _options;
    private readonly ILogger<WebhookSender> _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    public WebhookSender(IOptions<FarmOptions> options, ILogger<WebhookSender> logger)
    {
        _options = options.Value.Webhooks;
        _logger = logger;
        var guard = new WebhookAddressGuard(_options.AllowInternalAddresses);
        // No redirects: a receiver could otherwise send the signed POST on to an internal address.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectCallback = guard.ConnectAsync }) { Timeout = _options.Timeout };
        // Polly refuses a retry strategy of zero retries: MaxAttempts 1 (or less) gets no retry strategy at all.
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (_options.MaxAttempts > 1)
            pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                Delay = _options.FirstRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>(e => e.InnerException is not WebhookAddressRefusedException)
                    .Handle<TaskCanceledException>()
                    .HandleResult(r => (int)r.StatusCode is 408 or 429 or >= 500),
            });
        _retry = pipeline.Build();
    }

    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Returns true when the receiver answered 2xx.</summary>
    /// <param name="tenant">The job's tenant, whose own secret signs (null: no tenant).</param>
    /// <param name="delivery">The notification's id (<c>X-HiStream-Delivery</c>); a notification sent again after a silo
    /// stopped passes the same id. Null: a new id.</param>
    public async Task<bool> SendAsync(string url, string eventName, byte[] body, string? tenant, CancellationToken cancellationToken, string? delivery = null)
    {
        if (_options.SecretFor(tenant) is not { } secret)
        {
            _logger.LogError("Webhook to {Host} not sent: neither Farm:Webhooks:TenantSecrets:{Tenant} nor Farm:Webhooks:Secret is set, and unsigned notifications are never sent",
                HostOf(url), tenant ?? "(no tenant)");
            return false;
        }
        delivery ??= Guid.NewGuid().ToString("N");
        var signature = Sign(secret, body);
        int attempt = 0;
        HttpResponseMessage response;
        try
        {
            response = await _retry.ExecuteAsync(async ct =>
        {
                attempt++;
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(SignatureHeader, signature);
                request.Headers.Add(DeliveryHeader, delivery);
                request.Headers.Add(EventHeader, eventName);
                return await _http.SendAsync(request, ct);
            }, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is WebhookAddressRefusedException refused)
        {
            _logger.LogWarning("Webhook {Event} not sent: {Reason}", eventName, refused.Message);
            return false;
        }
        using var _ = response;
        bool ok = response.IsSuccessStatusCode;
        // The host only: webhook URLs often carry a token in their path or query.
        if (ok) _logger.LogInformation("Webhook {Event} delivered to {Host} ({Attempts} attempts)", eventName, HostOf(url), attempt);
        else _logger.LogWarning("Webhook {Event} to {Host} answered {Status} after {Attempts} attempts", eventName, HostOf(url), (int)response.StatusCode, attempt);
        return ok;
    }

    private static string HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "(not a URL)";
}

/// <summary>Settings of job webhooks (<c>Farm:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>The HMAC-SHA256 key for jobs without a tenant and tenants without their own; keep it in a secret.</summary>
    public string? Secret { get; set; }

    /// <summary>Each tenant's own HMAC-SHA256 key, by tenant name: a tenant that knows only its own key cannot sign
    /// notifications that another tenant's receiver would accept.</summary>
    public Dictionary<string, string> TenantSecrets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The key that signs a job's notifications: its tenant's own, else the shared one; null: none is set.</summary>
    public string? SecretFor(string? tenant) =>
        tenant is not null && TenantSecrets.TryGetValue(tenant, out var own) && !string.IsNullOrEmpty(own) ? own
        : string.IsNullOrEmpty(Secret) ? null : Secret;

    /// <summary>Let webhooks reach loopback, private and link-local addresses (off: tenants choose the URLs and silos
    /// sit inside the cluster network).</summary>
    public bool AllowInternalAddresses { get; set; }

    public int MaxAttempts { get; set; } = 6;
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
