using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>An event chunk ready to insert: its deflated events and the columns queries read.</summary>
internal sealed record PreparedChunk(
    byte[] Data,
    IReadOnlyList<string> Kinds,
    DateTimeOffset Oldest,
    DateTimeOffset Newest,
    IReadOnlyList<BsonValue> Rejects,
    ulong First,
    ulong Last,
    int Count);
