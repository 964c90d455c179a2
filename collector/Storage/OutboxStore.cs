using Fleet502.Collector.Notifiers;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>The <c>outbox</c> collection: webhook deliveries not yet acknowledged by their receiver.</summary>
internal sealed class OutboxStore(CollectorDatabase database)
{
    private ILiteCollection<BsonDocument> Outbox => database.Collection(CollectorDatabase.Outbox);

    public void Save(OutboxItem item) => database.Write(_ => Outbox.Upsert(new BsonDocument
    {
        ["_id"] = item.Id,
        ["webhook"] = item.Webhook,
        ["event"] = item.Event,
        ["incident_id"] = item.IncidentId,
        ["incident"] = item.IncidentJson,
        ["attempts"] = item.Attempts,
        ["created_at"] = BsonTime.From(item.CreatedAt),
    }));

    public void Delete(string id) => database.Write(_ => Outbox.Delete(id));

    /// <summary>Pending deliveries, oldest first.</summary>
    public IReadOnlyList<OutboxItem> All() => Outbox.FindAll()
        .Select(d => new OutboxItem(
            d["_id"].AsString,
            d["webhook"].AsString,
            d["event"].AsString,
            d["incident_id"].AsString,
            d["incident"].AsString,
            d["attempts"].AsInt32,
            BsonTime.To(d["created_at"])))
        .OrderBy(i => i.CreatedAt)
        .ToList();
}
