using System.Net.Http.Headers;
using System.Text.Json;
using Fleet502.Collector.Api;
using Fleet502.Collector.Notifiers.Formats;

namespace Fleet502.Collector.Notifiers;

/// <summary>POSTs an incident change to one webhook, in the body format its config names.</summary>
internal sealed class WebhookNotifier(WebhookOptions webhook, IWebhookFormat format, IHttpClientFactory clients) : INotifier
{
    public string Name => webhook.Name;

    public async Task SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var incident = JsonSerializer.Deserialize(item.IncidentJson, CollectorJsonContext.Default.IncidentJson)
            ?? throw new InvalidOperationException($"outbox item {item.Id} holds no incident");
        var body = format.Render(item.Event, incident);

        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        WebhookHttp.Tag(request, webhook.Name);
        using var response = await clients.CreateClient(WebhookHttp.ClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // Name the status only: exception messages reach logs, and must never carry the URL.
            throw new HttpRequestException($"receiver answered {(int)response.StatusCode}", null, response.StatusCode);
        }
    }
}
