using Fleet502.Protos.V1;
using Google.Protobuf;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>The <c>agents</c> collection: one document per agent id.</summary>
internal sealed class AgentStore(CollectorDatabase database)
{
    private ILiteCollection<BsonDocument> Agents => database.Collection(CollectorDatabase.Agents);

    /// <summary>Adds the agent or updates what Hello says about it; its last seq and listeners are kept.</summary>
    public AgentRecord Register(Hello hello, DateTimeOffset now) => database.Write(_ =>
    {
        var doc = Agents.FindById(hello.AgentId) ?? new BsonDocument
        {
            ["_id"] = hello.AgentId,
            ["last_seq"] = 0L,
            ["listeners"] = BsonValue.Null,
            ["listeners_at"] = BsonValue.Null,
        };
        doc["hostname"] = hello.Hostname;
        doc["addresses"] = new BsonArray(hello.Addresses.Select(a => new BsonValue(a)));
        doc["roles"] = new BsonArray(hello.Roles.Select(r => new BsonValue(r)));
        doc["version"] = hello.Version;
        doc["last_seen"] = BsonTime.From(now);
        Agents.Upsert(doc);
        return ToRecord(doc);
    });

    /// <summary>Highest seq stored for the agent, 0 when none. Call inside a write to act on it.</summary>
    public ulong GetLastSeq(string agentId) =>
        Agents.FindById(agentId) is { } doc ? (ulong)doc["last_seq"].AsInt64 : 0;

    /// <summary>Records progress; must run inside <see cref="CollectorDatabase.Write{T}"/>.</summary>
    public void SetProgress(string agentId, ulong lastSeq, DateTimeOffset now)
    {
        var doc = Agents.FindById(agentId) ?? new BsonDocument { ["_id"] = agentId, ["hostname"] = agentId };
        doc["last_seq"] = (long)lastSeq;
        doc["last_seen"] = BsonTime.From(now);
        Agents.Upsert(doc);
    }

    public void SaveListeners(string agentId, ListenerSnapshot snapshot, DateTimeOffset sampledAt) => database.Write(_ =>
    {
        if (Agents.FindById(agentId) is { } doc)
        {
            doc["listeners"] = snapshot.ToByteArray();
            doc["listeners_at"] = BsonTime.From(sampledAt);
            Agents.Update(doc);
        }
    });

    public void SaveProxyConfig(string agentId, ProxyConfig config, DateTimeOffset at) => database.Write(_ =>
    {
        if (Agents.FindById(agentId) is { } doc)
        {
            doc["proxy_config"] = config.ToByteArray();
            doc["proxy_config_at"] = BsonTime.From(at);
            Agents.Update(doc);
        }
    });

    public AgentRecord? Get(string agentId) => Agents.FindById(agentId) is { } doc ? ToRecord(doc) : null;

    public IReadOnlyList<AgentRecord> All() => Agents.FindAll().Select(ToRecord).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();

    private static AgentRecord ToRecord(BsonDocument doc) => new(
        doc["_id"].AsString,
        doc["hostname"].IsString ? doc["hostname"].AsString : doc["_id"].AsString,
        Strings(doc["addresses"]),
        Strings(doc["roles"]),
        doc["version"].IsString ? doc["version"].AsString : "",
        doc["last_seq"].IsNumber ? (ulong)doc["last_seq"].AsInt64 : 0,
        doc["last_seen"].IsDateTime ? BsonTime.To(doc["last_seen"]) : default,
        doc["listeners"].IsBinary ? ListenerSnapshot.Parser.ParseFrom(doc["listeners"].AsBinary) : null,
        doc["listeners_at"].IsDateTime ? BsonTime.To(doc["listeners_at"]) : null)
    {
        ProxyConfig = doc["proxy_config"].IsBinary ? ProxyConfig.Parser.ParseFrom(doc["proxy_config"].AsBinary) : null,
        ProxyConfigAt = doc["proxy_config_at"].IsDateTime ? BsonTime.To(doc["proxy_config_at"]) : null,
    };

    private static string[] Strings(BsonValue value) =>
        value.IsArray ? value.AsArray.Where(v => v.IsString).Select(v => v.AsString).ToArray() : [];
}
