namespace HiStream.Gateway.Security;

/// <summary>What one caller may use (configuration section <c>Gateway:Quotas</c>). Every refusal is a problem-details
/// answer whose <c>limit</c> names the setting.</summary>
public sealed class GatewayQuotas
{
    public const string Section = "Gateway:Quotas";

    /// <summary>Largest body of <c>POST /jobs</c> (JSON, read whole): 16 MiB.</summary>
    public long MaxJsonBodyBytes { get; set; } = 16L << 20;

    /// <summary>Largest body of <c>POST /jobs/upload</c> (streamed line by line into manifest pages): 1 GiB.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>Requests per minute and tenant (token bucket; admins and anonymous callers share one bucket per
    /// client address). 0 turns rate limiting off.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>Items of a tenant's jobs that wait in the queue (not started), across all its jobs.</summary>
    public int MaxQueuedItems { get; set; } = 100_000;

    /// <summary>Videos of a tenant that are queued or rendering, across all its jobs.</summary>
    public int MaxVideosInFlight { get; set; } = 200_000;
}
