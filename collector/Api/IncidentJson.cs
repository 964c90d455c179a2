using Fleet502.Diagnosis;
using Fleet502.Collector.Incidents;
using Fleet502.Collector.Storage;

namespace Fleet502.Collector.Api;

/// <summary>
/// An incident as the REST API and the webhooks show it (snake_case, RFC 3339 UTC times).
/// Webhook URLs and tokens have no place here.
/// </summary>
internal sealed record IncidentJson(
    string Id,
    string Cause,
    string Status,
    string Target,
    string? Host,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<string> Servers,
    string Tier,
    IReadOnlyList<string> TierChain,
    string Severity,
    double FailedPerSecond,
    double? FailureShare,
    DateTime FirstSeen,
    DateTime LastSeen,
    DateTime? ResolvedAt,
    long ErrorCount,
    double Confidence,
    int FlapCount,
    string Summary,
    string Fix,
    IReadOnlyList<EvidenceJson> Evidence)
{
    public static IncidentJson From(Incident incident) => new(
        incident.Id,
        ProtoEnumName.ToSnakeCase(incident.Cause),
        IncidentDocument.Status(incident.Status),
        incident.Target,
        incident.OwnerHost,
        [.. incident.Hosts],
        [.. incident.Servers],
        incident.Tier,
        [.. incident.TierChain],
        incident.Severity,
        Math.Round(incident.FailedPerSecond, 2),
        incident.FailureShare is { } share ? Math.Round(share, 4) : null,
        incident.FirstSeen.UtcDateTime,
        incident.LastSeen.UtcDateTime,
        incident.ResolvedAt?.UtcDateTime,
        incident.ErrorCount,
        Math.Round(incident.Confidence, 2),
        incident.FlapCount,
        incident.Summary,
        incident.Fix,
        [.. incident.Evidence.Select(e => new EvidenceJson(e.Time.UtcDateTime, e.Host, e.Source, e.Text))]);
}
