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

    /// <summary>A tenant's submissions take turns, so each counts its quota against what the previous one queued:
    /// a submission waits this long for its turn, then is refused (429).</summary>
    public TimeSpan SubmitWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A turn lasts this long unless renewed (every third of it while the submission runs), so a gateway that
    /// dies mid-submission blocks its tenant's next submission for at most this long.</summary>
    public TimeSpan SubmitHold { get; set; } = TimeSpan.FromSeconds(30);
}
