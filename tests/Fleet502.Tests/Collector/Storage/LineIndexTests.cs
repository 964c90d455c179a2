using Fleet502.Collector.Ingest;
using Fleet502.Collector.Storage;
using Fleet502.Protos.V1;
using Fleet502.Tests.Collector.Infrastructure;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Fleet502.Tests.Collector.Infrastructure.TestEvents;

namespace Fleet502.Tests.Collector.Storage;

/// <summary>
/// The collector's second de-duplication on a real LiteDB file: a log line stored once is a duplicate
/// when an agent reads it again under a new seq, after a restart too; the lines live in the chunks.
/// </summary>
public sealed class LineIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ALineReadAgainUnderANewSeq_IsADuplicate_AfterReopeningTheFileToo()
    {
        var path = _dir.File("lines.db");
        using (var store = Store.Open(path))
        {
            var first = store.Append(Line(1, offset: 100), Line(2, offset: 300), Line(3, offset: 300_000)); // two stretches
            Assert.Equal(3, first.Stored.Count);
            var again = store.Append(Line(4, offset: 300), Line(5, offset: 500));
            Assert.Equal([5ul], again.Stored.Select(e => e.Seq));
            Assert.Equal(1, again.Duplicates);
        }

        using var reopened = Store.Open(path); // nothing cached: read back from the chunks
        var resent = reopened.Append(Line(6, offset: 100), Line(7, offset: 300_000), Line(8, offset: 500), Line(9, offset: 700));
        Assert.Equal([9ul], resent.Stored.Select(e => e.Seq));
        Assert.Equal(3, resent.Duplicates);
        Assert.Equal([1ul, 2ul, 3ul, 5ul, 9ul], reopened.Events.ForAgent("web-1").Select(e => e.Seq));
    }

    [Fact]
    public void TheSameOffsetInAnotherFileOrGeneration_IsANewLine()
    {
        using var store = Store.Open(_dir.File("files.db"));
        store.Append(Line(1, offset: 100));

        var other = store.Append(Line(2, offset: 100, inode: 78), Line(3, offset: 100, generation: 1));

        Assert.Equal(2, other.Stored.Count);
    }

    [Fact]
    public void ABatchSplitAcrossHours_KeepsItsLinesUntilItsNewestChunkExpires()
    {
        var path = _dir.File("split.db");
        using (var store = Store.Open(path))
        {
            // A spooled backlog: seq 1 was logged 8 days ago, seq 2 now (two chunks, one per hour).
            store.Append(Line(1, offset: 100, time: T0.AddDays(-8)), Line(2, offset: 200));
            Assert.Equal(1, store.Events.DeleteOlderThan(T0.AddDays(-7)));
        }

        using var reopened = Store.Open(path);
        var resent = reopened.Append(Line(3, offset: 200));
        Assert.Empty(resent.Stored); // seq 2's line is still known
        Assert.Equal(1, resent.Duplicates);
    }

    [Fact]
    public void ACacheMiss_ReadsTheChunksThroughTheStretchIndex_NotAScan()
    {
        using var store = Store.Open(_dir.File("plan.db"));
        store.Append(Line(1, offset: 100));

        var plan = store.Database.Database.Execute(
            $"EXPLAIN SELECT $ FROM {CollectorDatabase.EventChunks} WHERE {LineIndex.IndexExpression} ANY = 'web-1|2049:77:0|0'").Current;

        Assert.Equal(LineIndex.IndexName, plan["index"]["name"].AsString);
    }

    [Fact]
    public void LinesStoredByAnOlderCollector_InItsLinesCollection_AreStillDuplicates_UntilRetentionExpiresThem()
    {
        var path = _dir.File("legacy.db");
        using (var store = Store.Open(path))
        {
            // What collectors before the chunks held them wrote: one part per stretch and commit.
            var lines = store.Database.Collection(CollectorDatabase.Lines);
            lines.EnsureIndex("tkey");
            var id = $"web-1|2049:77:0|0|{Guid.CreateVersion7(T0):N}";
            lines.Insert(new BsonDocument { ["_id"] = id, ["tkey"] = $"{BsonTime.Key(T0)}|{id}", ["offsets"] = BitConverter.GetBytes(100u) });
        }

        using (var store = Store.Open(path))
        {
            var resent = store.Append(Line(1, offset: 100), Line(2, offset: 200));
            Assert.Equal([2ul], resent.Stored.Select(e => e.Seq));

            Assert.Equal(1, store.Events.DeleteOlderThan(T0.AddSeconds(1))); // the chunk with seq 2 is as old: it goes, its line with it
            Assert.Equal(0, store.Database.Collection(CollectorDatabase.Lines).Count());
        }

        using var after = Store.Open(path);
        Assert.Equal(2, after.Append(Line(3, offset: 100), Line(4, offset: 200)).Stored.Count); // nothing of them is kept
    }

    private static Event Line(ulong seq, long offset, ulong inode = 77, uint generation = 0, DateTimeOffset? time = null)
    {
        var e = Refused(seq, time ?? T0, "127.0.0.1:3000");
        e.Source = new SourceRef { Path = "/var/log/nginx/error.log", Device = 2049, Inode = inode, Generation = generation, Offset = offset };
        return e;
    }

    private sealed class Store(CollectorDatabase database) : IDisposable
    {
        public CollectorDatabase Database { get; } = database;

        public EventStore Events { get; } = new(database, new AgentStore(database), new LineIndex(database));

        public static Store Open(string path)
        {
            var store = new Store(new CollectorDatabase(Options.Create(new StorageOptions { Path = path }), NullLogger<CollectorDatabase>.Instance));
            new AgentStore(store.Database).Register(Hello("web-1"), T0);
            return store;
        }

        public AppendResult Append(params Event[] events) =>
            Events.Append("web-1", [.. events.Select(e => new CheckedEvent(e, null))], T0);

        public void Dispose() => Database.Dispose();
    }
}
