using Fleet502.Collector.Incidents;
using Fleet502.Protos.V1;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>Explicit mapping of <see cref="Incident"/> to and from BSON: the stored shape is a contract too.</summary>
internal static class IncidentDocument
{
    public static BsonDocument From(Incident incident) => new()
    {
        ["_id"] = incident.Id,
        ["cause"] = (int)incident.Cause,
        ["target"] = incident.Target,
        ["local_to"] = incident.Key.LocalTo is { } localTo ? localTo : BsonValue.Null,
        ["status"] = Status(incident.Status),
        ["rule"] = incident.Rule,
        ["owner_agent"] = incident.OwnerAgentId is { } owner ? owner : BsonValue.Null,
        ["owner_host"] = incident.OwnerHost is { } host ? host : BsonValue.Null,
        ["tier"] = incident.Tier,
        ["tier_chain"] = Strings(incident.TierChain),
        ["severity"] = incident.Severity,
        ["failed_per_second"] = incident.FailedPerSecond,
        ["failure_share"] = incident.FailureShare is { } share ? share : BsonValue.Null,
        ["hosts"] = Strings(incident.Hosts),
        ["servers"] = Strings(incident.Servers),
        ["first_seen"] = BsonTime.From(incident.FirstSeen),
        ["last_seen"] = BsonTime.From(incident.LastSeen),
        ["last_symptom_at"] = BsonTime.From(incident.LastSymptomAt),
        ["resolved_at"] = BsonTime.From(incident.ResolvedAt),
        ["error_count"] = incident.ErrorCount,
        ["last_status"] = incident.LastStatus,
        ["confidence"] = incident.Confidence,
        ["flap_count"] = incident.FlapCount,
        ["headline"] = incident.Headline,
        ["fix"] = incident.Fix,
        ["state_evidence"] = Evidence(incident.StateEvidence),
        ["samples"] = Evidence(incident.Samples),
    };

    public static Incident To(BsonDocument doc)
    {
        var incident = new Incident
        {
            Id = doc["_id"].AsString,
            Key = new IncidentKey((Cause)doc["cause"].AsInt32, doc["target"].AsString, NullableString(doc["local_to"])),
            Status = doc["status"].AsString == Status(IncidentStatus.Resolved) ? IncidentStatus.Resolved : IncidentStatus.Open,
            Rule = doc["rule"].AsString,
            OwnerAgentId = NullableString(doc["owner_agent"]),
            OwnerHost = NullableString(doc["owner_host"]),
            Tier = doc["tier"].AsString,
            FirstSeen = BsonTime.To(doc["first_seen"]),
            LastSeen = BsonTime.To(doc["last_seen"]),
            LastSymptomAt = BsonTime.To(doc["last_symptom_at"]),
            ResolvedAt = BsonTime.ToNullable(doc["resolved_at"]),
            ErrorCount = doc["error_count"].AsInt64,
            LastStatus = doc["last_status"].AsInt32,
            Confidence = doc["confidence"].AsDouble,
            FlapCount = doc["flap_count"].AsInt32,
            Headline = doc["headline"].AsString,
            // Incidents stored before these fields existed read as minor, with no chain.
            Severity = doc["severity"].IsString ? doc["severity"].AsString : IncidentImpact.Minor,
            FailedPerSecond = doc["failed_per_second"].IsNumber ? doc["failed_per_second"].AsDouble : 0,
            FailureShare = doc["failure_share"].IsNumber ? doc["failure_share"].AsDouble : null,
            Fix = doc["fix"].AsString,
        };
        if (doc["tier_chain"].IsArray)
        {
            incident.TierChain.AddRange(doc["tier_chain"].AsArray.Select(v => v.AsString));
        }

        incident.Hosts.UnionWith(doc["hosts"].AsArray.Select(v => v.AsString));
        incident.Servers.UnionWith(doc["servers"].AsArray.Select(v => v.AsString));
        incident.StateEvidence.AddRange(doc["state_evidence"].AsArray.Select(v => ToEvidence(v.AsDocument)));
        incident.Samples.AddRange(doc["samples"].AsArray.Select(v => ToEvidence(v.AsDocument)));
        return incident;
    }

    public static string Status(IncidentStatus status) => status == IncidentStatus.Resolved ? "resolved" : "open";

    private static BsonArray Strings(IEnumerable<string> values) => new(values.Select(v => new BsonValue(v)));

    private static BsonArray Evidence(IEnumerable<EvidenceItem> items) => new(items.Select(e => (BsonValue)new BsonDocument
    {
        ["time"] = BsonTime.From(e.Time),
        ["host"] = e.Host,
        ["source"] = e.Source,
        ["text"] = e.Text,
    }));

    private static EvidenceItem ToEvidence(BsonDocument doc) =>
        new(BsonTime.To(doc["time"]), doc["host"].AsString, doc["source"].AsString, doc["text"].AsString);

    private static string? NullableString(BsonValue value) => value.IsString ? value.AsString : null;
}
