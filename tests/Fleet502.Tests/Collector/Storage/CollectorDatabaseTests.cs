using Fleet502.Collector.Storage;
using Fleet502.Tests.Collector.Infrastructure;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet502.Tests.Collector.Storage;

/// <summary>
/// The collector opens LiteDB's data file and journal itself (to sync the journal once per
/// transaction): the files must stay what LiteDB reads, in both directions, and a commit must be
/// in them when it returns.
/// </summary>
public sealed class CollectorDatabaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_commit_is_in_the_files_when_Write_returns_so_a_kill_9_right_after_keeps_it()
    {
        var path = _dir.File("live.db");
        var copy = _dir.File("copy.db");
        using var database = Open(path);
        for (var i = 0; i < 10; i++)
        {
            database.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = i, ["pad"] = new string('x', 3000 * i) }));

            // What a kill -9 leaves is what the OS has: copy the files while the collector still runs.
            // (Plain LiteDB fails this: its writer task is still writing the journal when Commit returns.)
            CopyAsKilled(path, copy);
            Assert.True(new FileInfo(CollectorDatabase.LogPath(copy)).Length > 0, "the commits are in the journal, not yet checkpointed");
            using var plain = new LiteDatabase(new ConnectionString { Filename = copy, ReadOnly = true });
            Assert.Equal(Enumerable.Range(0, i + 1), plain.GetCollection("t").FindAll().Select(d => d["_id"].AsInt32).Order());
        }
    }

    [Fact]
    public void Across_LiteDBs_automatic_checkpoint_every_commit_is_in_the_files_when_Write_returns()
    {
        // 60 commits of 200 KB: LiteDB checkpoints its journal into the data file past 1,000 pages (8 MB).
        var path = _dir.File("big.db");
        var copy = _dir.File("big-copy.db");
        using var database = Open(path);
        var largest = 0L;
        for (var i = 0; i < 60; i++)
        {
            database.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = i, ["pad"] = new byte[200_000] }));
            largest = Math.Max(largest, new FileInfo(CollectorDatabase.LogPath(path)).Length);
            if (i % 10 != 9 && i < 55)
            {
                continue;
            }

            CopyAsKilled(path, copy);
            using var plain = new LiteDatabase(new ConnectionString { Filename = copy, ReadOnly = true });
            Assert.Equal(i + 1, plain.GetCollection("t").Count());
        }

        Assert.True(new FileInfo(CollectorDatabase.LogPath(path)).Length < largest, "the journal was checkpointed and truncated");
    }

    [Fact]
    public void A_database_LiteDB_itself_left_with_a_full_journal_opens_with_everything_in_it()
    {
        // An existing install's file, as LiteDB's own file mode leaves it after a crash.
        var source = _dir.File("old.db");
        var path = _dir.File("upgraded.db");
        using (var old = new LiteDatabase(new ConnectionString { Filename = source, Connection = ConnectionType.Direct }))
        {
            old.GetCollection("t").Insert(new BsonDocument { ["_id"] = "old" });

            // LiteDB's writer task writes the journal after Insert returns: wait until it has.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!CopyHas(source, path, "old") && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }

        Assert.True(new FileInfo(CollectorDatabase.LogPath(path)).Length > 0);
        using var database = Open(path);
        Assert.NotNull(database.Collection("t").FindById("old"));
    }

    [Fact]
    public void Restarted_on_a_journal_a_kill_9_left_full_a_commit_that_changes_nothing_returns_at_once()
    {
        // The journal already holds pages at open: nothing this run writes will reach its end.
        var source = _dir.File("killed.db");
        var path = _dir.File("restarted.db");
        var killed = Open(source);
        for (var i = 0; i < 3; i++)
        {
            killed.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = i }));
        }

        CopyAsKilled(source, path);
        using var restarted = Open(path);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(3, restarted.Write(db => db.GetCollection("t").Count())); // a read in a write, as the correlator's restore does
        restarted.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = 3 }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        killed.Dispose();
    }

    [Fact]
    public void Dispose_checkpoints_the_journal_into_the_data_file_and_removes_it()
    {
        var path = _dir.File("closed.db");
        using (var database = Open(path))
        {
            database.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = "kept" }));
        }

        Assert.False(File.Exists(CollectorDatabase.LogPath(path)));
        using var plain = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        Assert.NotNull(plain.GetCollection("t").FindById("kept"));
    }

    [Fact]
    public void A_rolled_back_write_leaves_nothing_and_the_next_commit_is_kept()
    {
        var path = _dir.File("rollback.db");
        using (var database = Open(path))
        {
            Assert.Throws<InvalidOperationException>(() => database.Write(db =>
            {
                db.GetCollection("t").Insert(new BsonDocument { ["_id"] = "lost" });
                throw new InvalidOperationException("fails mid-write");
            }));
            database.Write(db => db.GetCollection("t").Insert(new BsonDocument { ["_id"] = "kept" }));
        }

        using var reopened = Open(path);
        Assert.Equal(["kept"], reopened.Collection("t").FindAll().Select(d => d["_id"].AsString));
    }

    [Theory]
    [InlineData("fleet502.db", "fleet502-log.db")]
    [InlineData("data", "data-log")]
    [InlineData("a.b.litedb", "a.b-log.litedb")]
    public void The_journal_is_named_as_LiteDB_names_it(string file, string journal)
    {
        var path = _dir.File(file);
        new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }).Dispose(); // LiteDB removes an empty journal on close...
        using var held = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        held.GetCollection("t").Insert(new BsonDocument { ["_id"] = 1 }); // ...so keep one with a commit in it

        Assert.Equal(_dir.File(journal), CollectorDatabase.LogPath(path));
        Assert.True(File.Exists(_dir.File(journal)));
    }

    /// <summary>Copies the database (as a kill -9 would leave it) and tells whether the copy holds the id.</summary>
    private static bool CopyHas(string source, string copy, string id)
    {
        CopyAsKilled(source, copy);
        using var plain = new LiteDatabase(new ConnectionString { Filename = copy, ReadOnly = true });
        return plain.GetCollection("t").FindById(id) is not null;
    }

    /// <summary>The data file and journal as a kill -9 would leave them: what the OS has now.</summary>
    private static void CopyAsKilled(string source, string copy)
    {
        File.Copy(source, copy, overwrite: true);
        File.Copy(CollectorDatabase.LogPath(source), CollectorDatabase.LogPath(copy), overwrite: true);
    }

    private static CollectorDatabase Open(string path) =>
        new(Options.Create(new StorageOptions { Path = path }), NullLogger<CollectorDatabase>.Instance);
}
