using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Fleet502.EndToEndTests.Harness;

/// <summary>A real HTTP listener on loopback that records every POST body it receives.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        var port = Ports.Free();
        Url = $"http://127.0.0.1:{port}/hooks/fleet502-secret-path/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<JsonElement> Posts { get; } = new();

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using (var reader = new StreamReader(context.Request.InputStream))
            {
                var body = await reader.ReadToEndAsync();
                if (context.Request.HttpMethod == "POST")
                {
                    Posts.Enqueue(JsonDocument.Parse(body).RootElement.Clone());
                }
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _ = _loop;
    }
}
