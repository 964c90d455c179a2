namespace Fleet502.Collector.Notifiers;

/// <summary>One pending delivery of one incident change to one webhook.</summary>
/// <param name="Id">Unique, time-ordered.</param>
/// <param name="Webhook">The webhook's configured name (never its URL).</param>
/// <param name="Event"><c>incident_opened</c> or <c>incident_resolved</c>.</param>
/// <param name="IncidentId">For logs.</param>
/// <param name="IncidentJson">The incident as the API shows it, frozen when the change happened.</param>
/// <param name="Attempts">Failed deliveries so far (each after the HTTP pipeline's own retries).</param>
/// <param name="CreatedAt">When the change happened.</param>
internal sealed record OutboxItem(
    string Id,
    string Webhook,
    string Event,
    string IncidentId,
    string IncidentJson,
    int Attempts,
    DateTimeOffset CreatedAt);
