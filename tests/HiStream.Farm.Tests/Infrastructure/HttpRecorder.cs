using System.Collections.Concurrent;
using System.Net;

namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>A real local HTTP listener (HttpListener on a free loopback port) that records every request and answers
/// from <see cref="Respond"/>: stands in for a webhook receiver or the Kubernetes API server. Requests are answered one
/// at a time, in order, unless <c>concurrent</c> (then a held answer does not hold the next request).</summary>
public sealed class HttpRecorder : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly bool _concurrent;

    public HttpRecorder(Func<RecordedRequest, int, (int Status, string Body)> respond, bool concurrent = false)
    {
        Respond = respond;
        _concurrent = concurrent;
        Port = ServerProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public Func<RecordedRequest, int, (int Status, string Body)> Respond { get; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public async Task<RecordedRequest[]> WaitForAsync(Func<RecordedRequest[], bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Requests.ToArray()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected requests did not arrive; got {Requests.Count}.");
            await Task.Delay(50);
        }
        return Requests.ToArray();
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            if (_concurrent) _ = Task.Run(() => AnswerAsync(context));
            else await AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var request = new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType, headers, body);
            Requests.Enqueue(request);
            var (status, answer) = Respond(request, Requests.Count);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = System.Text.Encoding.UTF8.GetBytes(answer);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (!_listener.IsListening)
        {
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}

public sealed record RecordedRequest(string Method, string Path, string? ContentType, IReadOnlyDictionary<string, string> Headers, string Body);
