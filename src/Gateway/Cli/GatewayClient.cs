using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HiStream.Abstractions.Jobs;
using HiStream.Gateway.Api;
using HiStream.Grains.Manifests;
using Microsoft.Extensions.Http.Resilience;

namespace HiStream.Gateway.Cli;

/// <summary>The CLI's HTTP client for a running gateway: retries transient failures of short calls (standard
/// resilience handler); the event stream reconnects with Last-Event-ID, also when it drops mid-stream.</summary>
public sealed class GatewayClient : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly HttpClient _http;
    private readonly HttpClient _stream;
    private readonly HttpClient _external;
    private readonly Uri _gateway;

    /// <summary>The API key goes to the gateway only, never to the storage hosts of SAS download URLs.</summary>
    public GatewayClient(Uri gateway, string? apiKey = null)
    {
        _gateway = gateway;
        var services = new ServiceCollection();
        void Key(HttpClient c)
        {
            if (!string.IsNullOrWhiteSpace(apiKey)) c.DefaultRequestHeaders.Add("X-Api-Key", apiKey.Trim());
        }
        services.AddHttpClient("gateway", c =>
        {
            c.BaseAddress = gateway;
            Key(c);
        }).AddStandardResilienceHandler();
        services.AddHttpClient("stream", c =>
        {
            c.BaseAddress = gateway;
            c.Timeout = Timeout.InfiniteTimeSpan;
            Key(c);
        });
        services.AddHttpClient("external", c => c.Timeout = Timeout.InfiniteTimeSpan);
        _services = services.BuildServiceProvider();
        var factory = _services.GetRequiredService<IHttpClientFactory>();
        _http = factory.CreateClient("gateway");
        _stream = factory.CreateClient("stream");
        _external = factory.CreateClient("external");
    }

    public async Task<VideoFileList> FilesAsync(string jobId, string videoId, CancellationToken cancellationToken) =>
        await ReadAsync<VideoFileList>(await _http.GetAsync($"/jobs/{Uri.EscapeDataString(jobId)}/videos/{Uri.EscapeDataString(videoId)}/files", cancellationToken), cancellationToken);

    /// <summary>GET of a download URL from <c>offset</c> on (a Range request when offset &gt; 0), headers only; the key is
    /// sent only when the URL is the gateway's own.</summary>
    public Task<HttpResponseMessage> GetFileAsync(Uri url, long offset, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(offset, null);
        bool own = Uri.Compare(url, _gateway, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
        return (own ? _stream : _external).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw new GatewayException((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>POST /jobs/upload; a key may repeat (<c>tag</c>), and keys whose value is null are left out.</summary>
    public async Task<SubmitResponse> UploadAsync(Stream manifest, IEnumerable<KeyValuePair<string, string?>> query, CancellationToken cancellationToken)
    {
        var qs = string.Join("&", query.Where(kv => kv.Value is not null).Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value!)}"));
        using var content = new StreamContent(manifest);
        content.Headers.ContentType = new("application/x-ndjson");
        // Not through the retry handler: a manifest stream can only be sent once.
        using var response = await _stream.PostAsync($"/jobs/upload?{qs}", content, cancellationToken);
        return await ReadAsync<SubmitResponse>(response, cancellationToken);
    }

    public async Task<JobStatus> StatusAsync(string jobId, CancellationToken cancellationToken) =>
        await ReadAsync<JobStatus>(await _http.GetAsync($"/jobs/{Uri.EscapeDataString(jobId)}", cancellationToken), cancellationToken);

    public async Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken) =>
        await ReadAsync<JobStatus>(await _http.PostAsync($"/jobs/{Uri.EscapeDataString(jobId)}/cancel", null, cancellationToken), cancellationToken);

    public async Task<JsonElement> CancelVideoAsync(string jobId, string videoId, CancellationToken cancellationToken) =>
        await ReadAsync<JsonElement>(await _http.PostAsync($"/jobs/{Uri.EscapeDataString(jobId)}/videos/{Uri.EscapeDataString(videoId)}/cancel", null, cancellationToken), cancellationToken);

    public async Task<RetryResponse> RetryAsync(string jobId, CancellationToken cancellationToken) =>
        await ReadAsync<RetryResponse>(await _http.PostAsync($"/jobs/{Uri.EscapeDataString(jobId)}/retry", null, cancellationToken), cancellationToken);

    public async Task<ResultsPage> ResultsAsync(string jobId, int skip, int take, CancellationToken cancellationToken) =>
        await ReadAsync<ResultsPage>(await _http.GetAsync($"/jobs/{Uri.EscapeDataString(jobId)}/results?skip={skip}&take={take}", cancellationToken), cancellationToken);

    public async Task<FailedItemsPage> FailuresAsync(string jobId, int skip, int take, CancellationToken cancellationToken) =>
        await ReadAsync<FailedItemsPage>(await _http.GetAsync($"/jobs/{Uri.EscapeDataString(jobId)}/failed?skip={skip}&take={take}", cancellationToken), cancellationToken);

    /// <summary>pause, resume (no body), priority and deadline (JSON body): the job's status after the change.</summary>
    public async Task<JobStatus> ControlAsync(string jobId, string action, object? body, CancellationToken cancellationToken)
    {
        using var content = body is null ? null : JsonContent.Create(body, options: FarmJson.Options);
        return await ReadAsync<JobStatus>(await _http.PostAsync($"/jobs/{Uri.EscapeDataString(jobId)}/{action}", content, cancellationToken), cancellationToken);
    }

    /// <summary>Parses the server-sent events of a job into batches (one per <c>status</c> event).</summary>
    public async IAsyncEnumerable<ProgressBatch> EventsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long last = 0;
        int failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{Uri.EscapeDataString(jobId)}/events");
            request.Headers.Add("Last-Event-ID", last.ToString());
            HttpResponseMessage response;
            try
            {
                response = await _stream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (++failures < 10)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << failures)), cancellationToken);
                continue;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode) await ReadAsync<JsonElement>(response, cancellationToken); // throws with the problem details
                failures = 0;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                var events = new List<ProgressEvent>();
                string? name = null, data = null;
                bool finished = false, dropped = false;
                long received = last; // events are only counted as seen once their batch is handed out
                while (true)
                {
                    string? line;
                    try
                    {
                        line = await reader.ReadLineAsync(cancellationToken);
                    }
                    catch (IOException) when (!cancellationToken.IsCancellationRequested)
                    {
                        dropped = true; // the connection dropped mid-stream (HttpIOException): reconnect from the last event handed out
                        break;
                    }
                    if (line is null) break;
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                    else if (line.Length == 0 && name is not null && data is not null)
                    {
                        if (name == "status")
                        {
                            var status = JsonSerializer.Deserialize<JobStatus>(data, FarmJson.Options)!;
                            last = received;
                            yield return new ProgressBatch(events.ToArray(), last, status);
                            events.Clear();
                            finished = status.IsFinished;
                        }
                        else
                        {
                            var e = JsonSerializer.Deserialize<ProgressEvent>(data, FarmJson.Options)!;
                            events.Add(e);
                            received = e.Sequence;
                        }
                        name = data = null;
                    }
                }
                if (finished) yield break;
                if (dropped) await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new GatewayException((int)response.StatusCode, body);
            }
            return (await response.Content.ReadFromJsonAsync<T>(FarmJson.Options, cancellationToken))!;
        }
    }

    public void Dispose() => _services.Dispose();
}

/// <summary>A gateway answer that is not a success; <see cref="Exception.Message"/> carries its problem details.</summary>
public sealed class GatewayException(int status, string body) : Exception(Describe(status, body))
{
    public int Status { get; } = status;

    private static string Describe(int status, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var text = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("title", out var t) ? t.GetString() : body;
            if (root.TryGetProperty("errors", out var errors))
                text += Environment.NewLine + string.Join(Environment.NewLine, errors.EnumerateObject().Select(e => $"  {e.Name}: {string.Join("; ", e.Value.EnumerateArray().Select(v => v.GetString()))}"));
            return $"{status}: {text}";
        }
        catch (JsonException)
        {
            return $"{status}: {body}";
        }
    }
}
