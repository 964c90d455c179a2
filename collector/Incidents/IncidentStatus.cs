namespace Fleet502.Collector.Incidents;

internal enum IncidentStatus
{
    Open,
    Resolved,
}
