using Fleet502.Collector.Api;

namespace Fleet502.Collector.Notifiers;

/// <summary>The generic webhook body.</summary>
/// <param name="Event"><c>incident_opened</c> or <c>incident_resolved</c>.</param>
/// <param name="Incident">Exactly what <c>GET /api/v1/incidents/{id}</c> returned at that moment.</param>
internal sealed record WebhookPayload(string Event, IncidentJson Incident);
