using Fleet502.Collector.Ingest;
using Fleet502.Protos.V1;
using Google.Protobuf;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// The <c>event_chunks</c> collection: every event once per (agent, seq), stored as protobuf in
/// chunks, one document per agent batch and UTC hour, with the columns that queries and retention
/// need. A storm's events then cost one document write per agent batch, not one per event (a
/// per-event document with its index entries caps ingest at a few thousand events a second).
/// </summary>
/// <remarks>
/// The id is "agent/first seq" (zero-padded), so an agent's chunks sort in seq order; "tkey" is the
/// chunk's newest event time plus the id (unique, which LiteDB's skip lists need to stay fast).
/// Retention drops a chunk once its newest event is older than the cutoff: events go an hour at a time.
/// </remarks>
internal sealed class EventStore(CollectorDatabase database, AgentStore agents, LineIndex lines)
{
    private static readonly HashSet<Event.BodyOneofCase> StateBodies =
    [
        Event.BodyOneofCase.ListenerSnapshot, Event.BodyOneofCase.ServiceState, Event.BodyOneofCase.FpmPool,
        Event.BodyOneofCase.OomKill, Event.BodyOneofCase.ProxyConfig, Event.BodyOneofCase.AccessWindow,
    ];

    private static readonly HashSet<string> StateKinds = [.. StateBodies.Select(EventKind.Of)];

    private readonly ILiteCollection<BsonDocument> _chunks = database.Collection(CollectorDatabase.EventChunks);

    /// <summary>
    /// Stores the events whose seq is above the agent's last stored seq and advances it, in one
    /// transaction, so a redelivered batch (agent restart, lost ack) stores nothing twice. An event
    /// read from a log line already stored (same file identity and offset) is a duplicate too: an
    /// agent killed before its checkpoint moved reads the line again and gives it a new seq.
    /// </summary>
    /// <remarks>
    /// <paramref name="prepared"/> (from <see cref="Prepare"/>, made on the agent's stream thread)
    /// is the batch's chunk when every event in it is new, as nearly always: the single writer
    /// then only inserts it, and serializing and deflating run in parallel across streams.
    /// </remarks>
    public AppendResult Append(string agentId, IReadOnlyList<CheckedEvent> batch, DateTimeOffset now, PreparedChunk? prepared = null) => database.Write(_ =>
    {
        var lastSeq = agents.GetLastSeq(agentId);
        var stored = new List<Event>(batch.Count);
        var kept = new List<CheckedEvent>(batch.Count);
        var duplicates = 0;
        var rejected = 0;
        foreach (var item in InSeqOrder(batch))
        {
            if (item.Event.Seq <= lastSeq)
            {
                duplicates++; // also a repeated seq inside the batch
                continue;
            }

            lastSeq = item.Event.Seq;
            if (item.Event.Source is { Inode: not 0 } source
                && !lines.TryAdd(agentId, source.Device, source.Inode, source.Generation, source.Offset))
            {
                duplicates++;
                continue;
            }

            kept.Add(item);
            if (item.IsValid)
            {
                stored.Add(item.Event);
            }
            else
            {
                rejected++;
            }
        }

        var chunks = prepared is not null && kept.Count == batch.Count && prepared.Count == batch.Count
            ? [ToDocument(agentId, prepared, now)]
            : CutChunks(agentId, kept, now);
        if (lines.TakeAdded() is { } added)
        {
            // A line is only added with its event, so there is a chunk; the newest one (by tkey) is
            // the last of a batch split across hours to expire.
            chunks.MaxBy(c => c["tkey"].AsString)![LineIndex.Field] = added;
        }

        foreach (var chunk in chunks)
        {
            _chunks.Insert(chunk);
        }

        // The newest chunk ends at lastSeq unless its last events were duplicates: then the agent's document says so.
        agents.SetProgress(agentId, lastSeq, now, carried: kept.Count > 0 && kept[^1].Event.Seq == lastSeq);
        return new AppendResult(stored, lastSeq, duplicates, rejected);
    });

    public int Count(string agentId) => Chunks(agentId).Sum(d => d["count"].AsInt32);

    /// <summary>The stored events of one agent, in seq order (for inspection and tests).</summary>
    public IReadOnlyList<Event> ForAgent(string agentId) => Chunks(agentId)
        .SelectMany(d => ChunkData.Read(d).Events)
        .OrderBy(e => e.Seq)
        .ToList();

    /// <summary>
    /// Stored host-state events (listeners, services, pools, OOM kills, nginx config, access windows)
    /// logged since <paramref name="since"/>, oldest first: what the correlator replays after a restart.
    /// </summary>
    public IEnumerable<(string AgentId, Event Event)> StateSince(DateTimeOffset since) => _chunks
        .Find(Query.GTE("tkey", TimeKey(since)))
        .Where(d => d["kinds"].IsArray && d["kinds"].AsArray.Any(k => k.IsString && StateKinds.Contains(k.AsString)))
        .SelectMany(d => ChunkData.Read(d).Events
            .Where(e => StateBodies.Contains(e.BodyCase) && e.Time is { } t && t.ToDateTimeOffset() >= since)
            .Select(e => (d["agent"].AsString, e)))
        .OrderBy(p => p.e.Time.ToDateTimeOffset())
        .ToList();

    /// <summary>Deletes the chunks whose newest event is older than <paramref name="cutoff"/>.</summary>
    /// <returns>How many events went.</returns>
    public int DeleteOlderThan(DateTimeOffset cutoff) => database.Write(db =>
    {
        var key = TimeKey(cutoff);
        var events = 0;
        var progress = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var old in _chunks.Find(Query.LT("tkey", key)))
        {
            events += old["count"].AsInt32;
            var agent = old["agent"].AsString;
            progress[agent] = Math.Max(progress.GetValueOrDefault(agent), (ulong)old["last"].AsInt64);
        }

        foreach (var (agent, last) in progress)
        {
            // The chunk that carried it is going; the document takes the agent's whole progress, as
            // reading chunks back starts after the document's seq.
            agents.KeepProgress(agent, Math.Max(last, agents.GetLastSeq(agent)));
        }

        _chunks.DeleteMany(Query.LT("tkey", key));
        lines.DeleteOlderThan(cutoff);
        if (db.CollectionExists(CollectorDatabase.LegacyEvents))
        {
            // One document per event, written by collectors before chunks.
            events += db.GetCollection(CollectorDatabase.LegacyEvents).DeleteMany(Query.LT("tkey", key));
        }

        return events;
    });

    private static string TimeKey(DateTimeOffset time) => BsonTime.Key(time);

    // The id prefix alone would also match an agent whose id continues with "/...".
    private IEnumerable<BsonDocument> Chunks(string agentId) =>
        _chunks.Find(Query.StartsWith("_id", agentId + "/")).Where(d => d["agent"].AsString == agentId);

    private static IEnumerable<CheckedEvent> InSeqOrder(IReadOnlyList<CheckedEvent> batch)
    {
        for (var i = 1; i < batch.Count; i++)
        {
            if (batch[i].Event.Seq <= batch[i - 1].Event.Seq)
            {
                return batch.OrderBy(e => e.Event.Seq);
            }
        }

        return batch; // the agents send in order: no sort, no copy
    }

    /// <summary>One chunk per UTC hour the events fall in (a batch is nearly always one).</summary>
    private static List<BsonDocument> CutChunks(string agentId, List<CheckedEvent> kept, DateTimeOffset now)
    {
        if (kept.Count == 0)
        {
            return [];
        }

        var first = Hour(kept[0], now);
        if (kept.TrueForAll(e => Hour(e, now) == first))
        {
            return [ToDocument(agentId, PrepareChunk(kept, now), now)];
        }

        return [.. kept.GroupBy(e => Hour(e, now)).Select(hour => ToDocument(agentId, PrepareChunk(hour.ToList(), now), now))];
    }

    private static long Hour(CheckedEvent item, DateTimeOffset now) => Time(item, now).ToUnixTimeSeconds() / 3600;

    /// <summary>When the event happened; a rejected event's own time may be garbage, so it counts as received now.</summary>
    private static DateTimeOffset Time(CheckedEvent item, DateTimeOffset now) => item.IsValid ? item.Event.Time.ToDateTimeOffset() : now;

    /// <summary>
    /// The chunk of a whole batch, serialized and deflated, off the writer's thread; null when the
    /// batch is empty, out of seq order or spans two UTC hours (the writer then cuts it itself).
    /// </summary>
    public static PreparedChunk? Prepare(IReadOnlyList<CheckedEvent> batch, DateTimeOffset now)
    {
        if (batch.Count == 0 || !ReferenceEquals(InSeqOrder(batch), batch))
        {
            return null;
        }

        var hour = Hour(batch[0], now);
        for (var i = 1; i < batch.Count; i++)
        {
            if (Hour(batch[i], now) != hour)
            {
                return null;
            }
        }

        return PrepareChunk(batch, now);
    }

    private static PreparedChunk PrepareChunk(IReadOnlyList<CheckedEvent> chunk, DateTimeOffset now)
    {
        var batch = new EventBatch();
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        var newest = DateTimeOffset.MinValue;
        var oldest = DateTimeOffset.MaxValue;
        var rejects = new BsonArray();
        foreach (var item in chunk)
        {
            batch.Events.Add(item.Event);
            var time = Time(item, now);
            newest = time > newest ? time : newest;
            oldest = time < oldest ? time : oldest;
            kinds.Add(item.IsValid ? EventKind.Of(item.Event.BodyCase) : "rejected");
            if (item.Rejection is { } reason)
            {
                rejects.Add(new BsonDocument { ["seq"] = (long)item.Event.Seq, ["reason"] = reason });
            }
        }

        return new PreparedChunk(
            ChunkData.Write(batch), [.. kinds], oldest, newest, [.. rejects], chunk[0].Event.Seq, chunk[^1].Event.Seq, chunk.Count);
    }

    private static BsonDocument ToDocument(string agentId, PreparedChunk chunk, DateTimeOffset now)
    {
        var id = $"{agentId}/{chunk.First:D20}";
        var doc = new BsonDocument
        {
            ["_id"] = id,
            ["tkey"] = $"{TimeKey(chunk.Newest)}|{id}",
            ["agent"] = agentId,
            ["first"] = (long)chunk.First,
            ["last"] = (long)chunk.Last,
            ["count"] = chunk.Count,
            ["oldest"] = BsonTime.From(chunk.Oldest),
            ["newest"] = BsonTime.From(chunk.Newest),
            ["received"] = BsonTime.From(now),
            ["kinds"] = new BsonArray(chunk.Kinds.Select(k => new BsonValue(k))),
            ["codec"] = ChunkData.Codec,
            ["data"] = chunk.Data,
        };
        if (chunk.Rejects.Count > 0)
        {
            doc["rejects"] = new BsonArray(chunk.Rejects);
        }

        return doc;
    }
}
