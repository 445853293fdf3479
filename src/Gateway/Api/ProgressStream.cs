using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Manifests;

namespace HiStream.Gateway.Api;

/// <summary>Server-sent events of a job: every progress event (<c>started</c>, <c>chunk</c>, <c>completed</c>, ...)
/// with its sequence number as the event id, a <c>status</c> event after each batch, and the stream ends after the
/// job finishes. A reconnecting client sends Last-Event-ID and continues where it stopped.</summary>
public static class ProgressStream
{
    public static async Task WriteAsync(HttpContext http, IJobGrain job, long after, CancellationToken cancellationToken)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            ProgressBatch batch;
            try
            {
                batch = await job.GetEventsAsync(after, 500, TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                break;
            }
            foreach (var e in batch.Events)
                await WriteEventAsync(http, e.Kind.ToString().ToLowerInvariant(), e.Sequence.ToString(), e, cancellationToken);
            after = batch.LastSequence;
            await WriteEventAsync(http, "status", null, batch.Status, cancellationToken);
            if (batch.Status.IsFinished && batch.Events.Length == 0) break;
        }
    }

    private static async Task WriteEventAsync<T>(HttpContext http, string name, string? id, T data, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(data, FarmJson.Options);
        var text = id is null ? $"event: {name}\ndata: {json}\n\n" : $"id: {id}\nevent: {name}\ndata: {json}\n\n";
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
