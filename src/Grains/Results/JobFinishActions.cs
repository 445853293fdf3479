using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Manifests;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Results;

/// <summary>What happens once a job finishes, off the job grain's turn: the contact sheet is built, then the job's
/// webhook (if any) is called with the final status and the names of the results manifest and the sheet. Failures
/// are logged and end the actions (the webhook has its own retries). The returned task ends with them: the job grain
/// then records them done; until it has, a reminder runs them again on another silo if this one stops (at least
/// once, with the same delivery id). A silo that stops waits up to <c>Farm:FinishActionsStopWait</c> for them when its
/// services are disposed; what is still running then is left to that reminder.</summary>
public sealed class JobFinishActions : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, bool> _running = new();
    private readonly JobContactSheet _sheet;
    private readonly WebhookSender _webhooks;
    private readonly ILogger<JobFinishActions> _logger;
    private readonly TimeSpan _stopWait;

    public JobFinishActions(JobContactSheet sheet, WebhookSender webhooks, IOptions<FarmOptions> options, ILogger<JobFinishActions> logger)
    {
        _stopWait = options.Value.FinishActionsStopWait;
        _sheet = sheet;
        _webhooks = webhooks;
        _logger = logger;
    }

    /// <param name="generation">The job's generation and <paramref name="finish"/> the finish within it (a retry of
    /// failed items finishes it again): with the job id, they name the webhook delivery.</param>
    public Task JobFinished(JobDefinition definition, JobStatus status, int generation, int finish)
    {
        var delivery = DeliveryId(definition.JobId, generation, finish);
        var task = Task.Run(() => RunAsync(definition, status, delivery));
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        return task;
    }

    /// <summary>The webhook delivery id of a job generation's finish: the same whichever silo sends it.</summary>
    public static string DeliveryId(string jobId, int generation, int finish) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"job.finished\n{jobId}\n{generation}\n{finish}")))[..32];

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(_stopWait);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Stopping with {Count} job finish actions (contact sheet, webhook) still running; their jobs' reminders run them again on another silo", _running.Count);
        }
    }

    private async Task RunAsync(JobDefinition definition, JobStatus status, string delivery)
    {
        string? sheet = null;
        try
        {
            sheet = await _sheet.BuildAsync(definition, status, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job}: the contact sheet could not be built", definition.JobId);
        }
        if (definition.Webhook is not { Length: > 0 } url) return;
        try
        {
            var folder = definition.Output.JobFolder(definition.JobId);
            var body = JsonSerializer.SerializeToUtf8Bytes(new JobFinishedNotification("job.finished", status, definition.Output.Container,
                $"{folder}/{ResultsManifest.FileName}", sheet), FarmJson.Options);
            await _webhooks.SendAsync(url, "job.finished", body, definition.Tenant, CancellationToken.None, delivery);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job}: webhook to {Host} failed", definition.JobId, Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : "(not a URL)");
        }
    }
}

/// <summary>The webhook body.</summary>
public sealed record JobFinishedNotification(string Event, JobStatus Job, string Container, string Results, string? ContactSheet);
