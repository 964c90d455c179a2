using System.Text.Json;
using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary><c>{ "event": ..., "incident": &lt;the API's incident JSON&gt; }</c>, for tools rather than people.</summary>
internal sealed class GenericFormat : IWebhookFormat
{
    public string Name => "generic";

    public byte[] Render(string incidentEvent, IncidentJson incident) =>
        JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(incidentEvent, incident), CollectorJsonContext.Default.WebhookPayload);
}
