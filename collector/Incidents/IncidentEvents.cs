namespace Fleet502.Collector.Incidents;

/// <summary>What happened to an incident, as webhooks name it.</summary>
internal static class IncidentEvents
{
    /// <summary>A new incident, or a resolved one re-opened by a new symptom.</summary>
    public const string Opened = "incident_opened";

    public const string Resolved = "incident_resolved";
}
