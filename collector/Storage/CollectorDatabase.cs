using LiteDB;
using Microsoft.Extensions.Options;

namespace Fleet502.Collector.Storage;

/// <summary>
/// The one LiteDB file of the collector. LiteDB transactions belong to the calling thread, so every
/// write runs synchronously, in a transaction, under one lock: one writer, no await inside.
/// </summary>
internal sealed class CollectorDatabase : IDisposable
{
    public const string Agents = "agents";
    public const string EventChunks = "event_chunks";
    /// <summary>Log lines stored by older collectors (see <see cref="LineIndex"/>): only read and expired.</summary>
    public const string Lines = "lines";

    /// <summary>One document per event, as collectors before chunks stored them: only expired by retention.</summary>
    public const string LegacyEvents = "events";
    public const string Incidents = "incidents";
    public const string Outbox = "outbox";

    /// <summary>How long a commit waits for LiteDB's writer to write its pages before it fails.</summary>
    private static readonly TimeSpan JournalWriteTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _writeLock = new();
    private readonly List<Action> _afterCommit = [];
    private readonly DatabaseFile _data;
    private readonly DatabaseFile _log;

    public CollectorDatabase(IOptions<StorageOptions> options, ILogger<CollectorDatabase> logger)
    {
        var path = System.IO.Path.GetFullPath(options.Value.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);

        // The files LiteDB would open for this path ("x.db" and its journal "x-log.db"), opened here
        // so the journal is synced once per transaction (see DatabaseFile).
        _data = new DatabaseFile(path, deferSync: false);
        try
        {
            _log = new DatabaseFile(LogPath(path), deferSync: true);
            Database = new LiteDatabase(_data, logStream: _log) { UtcDate = true };
        }
        catch
        {
            _log?.Dispose();
            _data.Dispose();
            throw;
        }

        Path = path;
        EnsureIndexes();
        _log.Sync();
        Log.DatabaseOpened(logger, path);
    }

    public string Path { get; }

    /// <summary>For reads; writes go through <see cref="Write{T}"/>.</summary>
    public LiteDatabase Database { get; }

    public ILiteCollection<BsonDocument> Collection(string name) => Database.GetCollection(name);

    public T Write<T>(Func<LiteDatabase, T> write)
    {
        lock (_writeLock)
        {
            // A nested write joins the outer transaction (same thread), and the outer one commits.
            var owner = Database.BeginTrans();
            T result;
            try
            {
                result = write(Database);
                if (owner)
                {
                    Database.Commit();
                }
            }
            catch
            {
                if (owner)
                {
                    _afterCommit.Clear();
                    Database.Rollback();
                    RolledBack?.Invoke();
                }

                throw;
            }

            if (owner)
            {
                try
                {
                    _log.SyncThrough(JournalEnd(), JournalWriteTimeout); // durable before anyone is told it is stored
                }
                finally
                {
                    // Committed either way: a failed sync withholds the acks (agents resend, and the
                    // resent events are duplicates), but what waits for the commit (webhooks) goes on.
                    RunAfterCommit();
                }
            }

            return result;
        }
    }

    /// <summary>Raised after a write rolled back: caches of what is stored must forget what it added.</summary>
    public event Action? RolledBack;

    public void Write(Action<LiteDatabase> write) => Write(db =>
    {
        write(db);
        return true;
    });

    /// <summary>
    /// Runs <paramref name="action"/> once the current write has committed (dropped if it rolls
    /// back): what depends on the data being durable, such as queueing a webhook, waits for it.
    /// Must be called inside <see cref="Write{T}"/>.
    /// </summary>
    public void AfterCommit(Action action)
    {
        if (!_writeLock.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("AfterCommit needs a write in progress on this thread");
        }

        _afterCommit.Add(action);
    }

    public void Dispose()
    {
        Database.Dispose(); // checkpoints the journal into the data file
        _log.Dispose();
        _data.Dispose();
        if (new FileInfo(LogPath(Path)).Length == 0)
        {
            File.Delete(LogPath(Path)); // as LiteDB does with a journal it has emptied
        }
    }

    /// <summary>
    /// Where LiteDB's journal ends once its writer has written every page queued so far: pages get
    /// their place at commit, so this covers the commit just made ($database is LiteDB's own view).
    /// </summary>
    private uint JournalEnd()
    {
        // LiteDB casts the length to int: its low 32 bits, which DatabaseFile unwraps.
        var size = Database.GetCollection("$database").FindAll().First()["logFileSize"];
        return size.IsInt32 ? (uint)size.AsInt32 : (uint)size.AsInt64;
    }

    /// <summary>LiteDB's journal file name for <paramref name="path"/>: "x.db" → "x-log.db".</summary>
    public static string LogPath(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    private void RunAfterCommit()
    {
        var actions = _afterCommit.ToArray();
        _afterCommit.Clear();
        foreach (var action in actions)
        {
            action();
        }
    }

    private void EnsureIndexes()
    {
        Collection(EventChunks).EnsureIndex("tkey"); // _id is "agent/first seq"; tkey (newest time + id) is unique
        Collection(EventChunks).EnsureIndex(LineIndex.IndexName, LineIndex.IndexExpression);

        var incidents = Collection(Incidents);
        incidents.EnsureIndex("status");
        incidents.EnsureIndex("cause");
        incidents.EnsureIndex("last_seen");
    }
}
