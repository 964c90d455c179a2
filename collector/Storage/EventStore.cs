using System.Text;
using Fleet502.Diagnosis;
using Fleet502.Collector.Correlation;
using Fleet502.Collector.Ingest;
using Fleet502.Protos.V1;
using Google.Protobuf;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// The <c>events</c> collection: every event once per (agent, seq), as its protobuf bytes plus the
/// columns that queries and retention need. The id is "agent/seq" (seq zero-padded), so the primary
/// key itself keeps (agent, seq) unique and in order; secondary indexes are few because each one
/// costs on every insert, and a storm brings thousands of events a second.
/// </summary>
internal sealed class EventStore(CollectorDatabase database, AgentStore agents)
{
    private readonly ILiteCollection<BsonDocument> _events = database.Collection(CollectorDatabase.Events);

    // Parsed once: LiteDB parses an expression string on every call. Only used under the write lock.
    private readonly BsonExpression _lineEquals = BsonExpression.Create("$.line = @0");

    /// <summary>
    /// Stores the events whose seq is above the agent's last stored seq and advances it, in one
    /// transaction, so a redelivered batch (agent restart, lost ack) stores nothing twice. An event
    /// read from a log line already stored (same file identity and offset) is a duplicate too: an
    /// agent killed before its checkpoint moved reads the line again and gives it a new seq.
    /// </summary>
    public AppendResult Append(string agentId, IReadOnlyList<CheckedEvent> batch, DateTimeOffset now) => database.Write(_ =>
    {
        var lastSeq = agents.GetLastSeq(agentId);
        var stored = new List<Event>(batch.Count);
        var duplicates = 0;
        var rejected = 0;
        foreach (var item in batch.OrderBy(e => e.Event.Seq))
        {
            if (item.Event.Seq <= lastSeq)
            {
                duplicates++; // also a repeated seq inside the batch
                continue;
            }

            var line = LineKey(agentId, item.Event);
            lastSeq = item.Event.Seq;
            if (line is not null && _events.FindOne(_lineEquals, line) is not null)
            {
                duplicates++;
                continue;
            }

            _events.Insert(ToDocument(agentId, item, line, now));
            if (item.IsValid)
            {
                stored.Add(item.Event);
            }
            else
            {
                rejected++;
            }
        }

        agents.SetProgress(agentId, lastSeq, now);
        return new AppendResult(stored, lastSeq, duplicates, rejected);
    });

    public int Count(string agentId) => _events.Count(Query.StartsWith("_id", agentId + "/"));

    /// <summary>The stored events of one agent, in seq order (for inspection and tests).</summary>
    public IReadOnlyList<Event> ForAgent(string agentId) => _events
        .Find(Query.StartsWith("_id", agentId + "/"))
        .Select(d => Event.Parser.ParseFrom(d["data"].AsBinary))
        .OrderBy(e => e.Seq)
        .ToList();

    /// <summary>
    /// Stored host-state events (listeners, services, pools, OOM kills, nginx config, access windows)
    /// logged since <paramref name="since"/>, oldest first: what the correlator replays after a restart.
    /// </summary>
    public IEnumerable<(string AgentId, Event Event)> StateSince(DateTimeOffset since) => _events
        .Find(Query.GTE("tkey", TimeKey(since)))
        .Where(d => d["kind"].IsString && StateKinds.Contains(d["kind"].AsString))
        .Select(d => (d["agent"].AsString, Event.Parser.ParseFrom(d["data"].AsBinary)))
        .OrderBy(p => p.Item2.Time.ToDateTimeOffset())
        .ToList();

    private static readonly HashSet<string> StateKinds =
        ["listener_snapshot", "service_state", "fpm_pool", "oom_kill", "proxy_config", "access_window"];

    public int DeleteOlderThan(DateTimeOffset cutoff) =>
        database.Write(_ => _events.DeleteMany(Query.LT("tkey", TimeKey(cutoff))));

    /// <summary>Sortable text of a UTC time: the prefix of the unique "tkey" index.</summary>
    private static string TimeKey(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Names the log line an event was read from, for ever; null for sampled state.</summary>
    private static string? LineKey(string agentId, Event e) =>
        e.Source is { Inode: not 0 } source
            ? $"{agentId}|{source.Device}:{source.Inode}:{source.Generation}:{source.Offset}"
            : null;

    private static BsonDocument ToDocument(string agentId, CheckedEvent item, string? line, DateTimeOffset now)
    {
        var e = item.Event;
        var id = $"{agentId}/{e.Seq:D20}";
        var time = item.IsValid ? e.Time.ToDateTimeOffset() : now;
        var doc = new BsonDocument
        {
            ["_id"] = id,
            ["tkey"] = $"{TimeKey(time)}|{id}",
            // A line key always holds '|'; the id never matches one, and keeps the index's keys unique.
            ["line"] = line ?? id,
            ["agent"] = agentId,
            ["seq"] = (long)e.Seq,
            ["time"] = item.IsValid ? BsonTime.From(e.Time.ToDateTimeOffset()) : BsonTime.From(now),
            ["received"] = BsonTime.From(now),
            ["kind"] = item.IsValid ? Kind(e) : "rejected",
            ["data"] = e.ToByteArray(),
        };
        if (item.Rejection is { } reason)
        {
            doc["reason"] = reason;
        }

        if (item.IsValid && e.UpstreamError is { } error)
        {
            doc["cause"] = ProtoEnumName.ToSnakeCase(error.Cause);
            doc["target"] = TargetAddress.FromProto(error.Target)?.Text ?? "";
        }

        return doc;
    }

    // "UpstreamError" -> "upstream_error", for every body the contract has now or adds later.
    private static string Kind(Event e)
    {
        var name = e.BodyCase.ToString();
        var snake = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && snake.Length > 0)
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(c));
        }

        return snake.ToString();
    }
}
