using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers.Formats;

/// <summary>Turns an incident change into the body one kind of receiver accepts.</summary>
internal interface IWebhookFormat
{
    /// <summary>The config's <c>Format</c> value: <c>generic</c>, <c>slack</c>, ...</summary>
    string Name { get; }

    /// <summary>The UTF-8 JSON body for <paramref name="incidentEvent"/> (incident_opened / incident_resolved).</summary>
    byte[] Render(string incidentEvent, IncidentJson incident);
}
