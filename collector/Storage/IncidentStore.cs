using Fleet502.Collector.Incidents;
using Fleet502.Protos.V1;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>The <c>incidents</c> collection. The correlator saves on every change; the API reads from here.</summary>
internal sealed class IncidentStore(CollectorDatabase database)
{
    private ILiteCollection<BsonDocument> Incidents => database.Collection(CollectorDatabase.Incidents);

    public void Save(Incident incident) => database.Write(_ => Incidents.Upsert(IncidentDocument.From(incident)));

    public Incident? Get(string id) => Incidents.FindById(id) is { } doc ? IncidentDocument.To(doc) : null;

    /// <summary>Newest activity first.</summary>
    public IReadOnlyList<Incident> List(IncidentStatus? status, Cause? cause, int limit)
    {
        var query = Incidents.Query();
        if (status is { } s)
        {
            query = query.Where(Query.EQ("status", IncidentDocument.Status(s)));
        }

        if (cause is { } c)
        {
            query = query.Where(Query.EQ("cause", (int)c));
        }

        return query.OrderByDescending("last_seen").Limit(limit).ToList().Select(IncidentDocument.To).ToList();
    }

    /// <summary>Open incidents, and resolved ones recent enough to be re-opened by a new symptom.</summary>
    public IReadOnlyList<Incident> LoadActive(DateTimeOffset resolvedSince) => Incidents
        .Find(Query.Or(
            Query.EQ("status", IncidentDocument.Status(IncidentStatus.Open)),
            Query.GTE("resolved_at", BsonTime.From(resolvedSince))))
        .Select(IncidentDocument.To)
        .ToList();
}
