using Fleet502.Protos.V1;
using Google.Protobuf;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>The <c>agents</c> collection: one document per agent id.</summary>
/// <remarks>
/// An agent's last stored seq is the newest of its document's <c>last_seq</c> and the <c>last</c>
/// of its newest event chunk: a chunk written in a commit carries the progress, so the document is
/// rewritten at most every <see cref="ProgressEvery"/> (or when no chunk was written), not per batch.
/// </remarks>
internal sealed class AgentStore
{
    /// <summary>How often a busy agent's document takes its progress and last_seen.</summary>
    public static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(30);

    private readonly CollectorDatabase _database;
    private readonly Dictionary<string, Progress> _progress = new(StringComparer.Ordinal);

    public AgentStore(CollectorDatabase database)
    {
        _database = database;
        database.RolledBack += _progress.Clear;
    }

    private ILiteCollection<BsonDocument> Agents => _database.Collection(CollectorDatabase.Agents);

    /// <summary>Adds the agent or updates what Hello says about it; its last seq and listeners are kept.</summary>
    public AgentRecord Register(Hello hello, DateTimeOffset now) => _database.Write(_ =>
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
        return ToRecord(doc) with { LastSeq = GetLastSeq(hello.AgentId) };
    });

    /// <summary>Highest seq stored for the agent, 0 when none. Call inside a write to act on it.</summary>
    public ulong GetLastSeq(string agentId) => _database.Write(_ => Load(agentId).LastSeq);

    /// <summary>
    /// Records progress; must run inside <see cref="CollectorDatabase.Write{T}"/>. With
    /// <paramref name="carried"/> (a chunk ending at <paramref name="lastSeq"/> is in this write)
    /// the document is only rewritten when its last rewrite is older than <see cref="ProgressEvery"/>.
    /// </summary>
    public void SetProgress(string agentId, ulong lastSeq, DateTimeOffset now, bool carried = false)
    {
        var progress = Load(agentId);
        progress.LastSeq = Math.Max(progress.LastSeq, lastSeq);
        if (carried && now - progress.SavedAt < ProgressEvery)
        {
            return;
        }

        var doc = Agents.FindById(agentId) ?? new BsonDocument { ["_id"] = agentId, ["hostname"] = agentId };
        doc["last_seq"] = (long)progress.LastSeq;
        doc["last_seen"] = BsonTime.From(now);
        Agents.Upsert(doc);
        progress.SavedAt = now;
    }

    /// <summary>Raises the document's last seq to at least <paramref name="lastSeq"/> (before retention deletes the chunk that carried it).</summary>
    public void KeepProgress(string agentId, ulong lastSeq) => _database.Write(_ =>
    {
        if (Agents.FindById(agentId) is { } doc && (!doc["last_seq"].IsNumber || (ulong)doc["last_seq"].AsInt64 < lastSeq))
        {
            doc["last_seq"] = (long)lastSeq;
            Agents.Update(doc);
        }
    });

    private Progress Load(string agentId)
    {
        if (_progress.TryGetValue(agentId, out var known))
        {
            return known;
        }

        var doc = Agents.FindById(agentId);
        var saved = doc is not null && doc["last_seq"].IsNumber ? (ulong)doc["last_seq"].AsInt64 : 0;
        // Chunks stored after the document's last rewrite carry the rest: only those are read.
        var chunks = _database.Collection(CollectorDatabase.EventChunks).Find(Query.Between(
            "_id", new BsonValue($"{agentId}/{saved + 1:D20}"), new BsonValue($"{agentId}/~")));
        // The agent field, not the id range alone: an agent id may continue with "/..." too.
        var last = chunks.Where(c => c["agent"].AsString == agentId).Select(c => (ulong)c["last"].AsInt64).DefaultIfEmpty(saved).Max();
        var progress = new Progress { LastSeq = Math.Max(saved, last), SavedAt = DateTimeOffset.MinValue };
        _progress[agentId] = progress;
        return progress;
    }

    private sealed class Progress
    {
        public ulong LastSeq { get; set; }

        public DateTimeOffset SavedAt { get; set; }
    }

    public void SaveListeners(string agentId, ListenerSnapshot snapshot, DateTimeOffset sampledAt) => _database.Write(_ =>
    {
        if (Agents.FindById(agentId) is { } doc)
        {
            doc["listeners"] = snapshot.ToByteArray();
            doc["listeners_at"] = BsonTime.From(sampledAt);
            Agents.Update(doc);
        }
    });

    public void SaveProxyConfig(string agentId, ProxyConfig config, DateTimeOffset at) => _database.Write(_ =>
    {
        if (Agents.FindById(agentId) is { } doc)
        {
            doc["proxy_config"] = config.ToByteArray();
            doc["proxy_config_at"] = BsonTime.From(at);
            Agents.Update(doc);
        }
    });

    public AgentRecord? Get(string agentId) => Agents.FindById(agentId) is { } doc ? WithProgress(ToRecord(doc)) : null;

    public IReadOnlyList<AgentRecord> All() => Agents.FindAll().Select(ToRecord).Select(WithProgress).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();

    /// <summary>The record with the progress its chunks carry beyond the document.</summary>
    private AgentRecord WithProgress(AgentRecord record) => record with { LastSeq = GetLastSeq(record.Id) };

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
