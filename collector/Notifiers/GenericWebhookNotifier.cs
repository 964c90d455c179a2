using System.Net.Http.Headers;
using System.Text.Json;
using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers;

/// <summary>POSTs <c>{ "event": ..., "incident": &lt;the API's incident JSON&gt; }</c>.</summary>
internal sealed class GenericWebhookNotifier(WebhookOptions webhook, IHttpClientFactory clients) : INotifier
{
    public const string FormatName = "generic";

    public string Name => webhook.Name;

    public async Task SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var incident = JsonSerializer.Deserialize(item.IncidentJson, CollectorJsonContext.Default.IncidentJson)
            ?? throw new InvalidOperationException($"outbox item {item.Id} holds no incident");
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(item.Event, incident), CollectorJsonContext.Default.WebhookPayload);

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
