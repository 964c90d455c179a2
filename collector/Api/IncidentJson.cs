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
        incident.FirstSeen.UtcDateTime,
        incident.LastSeen.UtcDateTime,
        incident.ResolvedAt?.UtcDateTime,
        incident.ErrorCount,
        Math.Round(incident.Confidence, 2),
        incident.FlapCount,
        incident.Summary,
        incident.Fix,
        [.. incident.Evidence.Select(e => new EvidenceJson(e.Time.UtcDateTime, e.Host, e.Source, e.Text))])
    {
        TierChain = [.. incident.TierChain],
        Severity = incident.Severity,
        FailedPerSecond = Math.Round(incident.FailedPerSecond, 2),
        FailureShare = incident.FailureShare is { } share ? Math.Round(share, 4) : null,
    };

    /// <summary>Every tier that saw the failure, in request order, ending with the one at fault.</summary>
    public IReadOnlyList<string> TierChain { get; init; } = [];

    /// <summary>critical, major or minor, from the failed requests per second and their share of traffic.</summary>
    public string Severity { get; init; } = "minor";

    public double FailedPerSecond { get; init; }

    /// <summary>Share (0..1) of the reporters' requests that failed; null without access-log windows.</summary>
    public double? FailureShare { get; init; }
}
