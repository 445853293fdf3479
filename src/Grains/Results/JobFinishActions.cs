using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Manifests;
using Microsoft.Extensions.Logging;

namespace HiStream.Grains.Results;

/// <summary>What happens once a job finishes, off the job grain's turn: the contact sheet is built, then the job's
/// webhook (if any) is called with the final status and the names of the results manifest and the sheet. Best
/// effort: failures are logged. A silo that stops waits up to a minute for them when its services are disposed.</summary>
public sealed class JobFinishActions : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, bool> _running = new();
    private readonly JobContactSheet _sheet;
    private readonly WebhookSender _webhooks;
    private readonly ILogger<JobFinishActions> _logger;

    public JobFinishActions(JobContactSheet sheet, WebhookSender webhooks, ILogger<JobFinishActions> logger)
    {
        _sheet = sheet;
        _webhooks = webhooks;
        _logger = logger;
    }

    public void JobFinished(JobDefinition definition, JobStatus status)
    {
        var task = Task.Run(() => RunAsync(definition, status));
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Stopping with {Count} job finish actions (contact sheet, webhook) still running", _running.Count);
        }
    }

    private async Task RunAsync(JobDefinition definition, JobStatus status)
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
            await _webhooks.SendAsync(url, "job.finished", body, definition.Tenant, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Job {Job}: webhook to {Host} failed", definition.JobId, Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : "(not a URL)");
        }
    }
}

/// <summary>The webhook body.</summary>
public sealed record JobFinishedNotification(string Event, JobStatus Job, string Container, string Results, string? ContactSheet);
