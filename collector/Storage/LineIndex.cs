using System.Buffers.Binary;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// Which log lines each agent's stored events were read from, for as long as those events are kept:
/// the collector's second de-duplication, for an agent killed before its checkpoint moved that reads
/// the same lines again under new seqs. A line is (file device, inode, generation, offset).
/// </summary>
/// <remarks>
/// Kept per 256 KiB stretch of a file, in the event chunks themselves: each chunk lists, per stretch
/// its commit added lines to, the offsets it added (<c>lines: [{ s: "agent|dev:inode:gen|n", o: bytes }]</c>),
/// under a multikey index on the stretch ids. A storm's lines then cost one index entry per agent file
/// per commit, commit with their events, and go with them at retention. The stretches in use stay
/// cached; a cache miss reads the chunks that name the stretch. Older collectors kept the offsets
/// in a <c>lines</c> collection of their own: read too when it exists, and emptied by retention.
/// Only used under the database's write lock.
/// </remarks>
internal sealed class LineIndex
{
    /// <summary>The chunk field that holds the lines its commit added.</summary>
    public const string Field = "lines";

    /// <summary>The multikey index over the stretch ids of <see cref="Field"/>.</summary>
    public const string IndexName = "line_stretch";

    public const string IndexExpression = "$.lines[*].s";

    /// <summary>Bytes of a file one stretch covers: about a thousand nginx error lines.</summary>
    private const int StretchBits = 18;

    /// <summary>Stretches kept in memory; the least recently used half goes when it is exceeded.</summary>
    private const int MaxCached = 16_384;

    private readonly CollectorDatabase _database;
    private readonly ILiteCollection<BsonDocument> _chunks;
    private readonly Dictionary<StretchKey, Stretch> _cache = [];
    private readonly List<Stretch> _dirty = [];
    private readonly BsonExpression _chunksNaming = BsonExpression.Create(IndexExpression + " ANY = @0");
    private readonly BsonExpression _legacyParts = BsonExpression.Create("_id BETWEEN @0 AND @1");
    private readonly bool _legacy;
    private long _clock;

    public LineIndex(CollectorDatabase database)
    {
        _database = database;
        _chunks = database.Collection(CollectorDatabase.EventChunks);
        // Only older collectors create it, so it is looked up once, not on every cache miss.
        _legacy = database.Database.CollectionExists(CollectorDatabase.Lines);
        database.RolledBack += Reset;
    }

    /// <summary>
    /// Records the line; false when it was recorded before (the event is a duplicate). Goes into the
    /// database with the next chunk, through <see cref="TakeAdded"/>.
    /// </summary>
    public bool TryAdd(string agentId, ulong device, ulong inode, uint generation, long offset)
    {
        // No string per line: the stretch's id is made only when it is read or written.
        var key = new StretchKey(agentId, device, inode, generation, offset >> StretchBits);
        if (!_cache.TryGetValue(key, out var stretch))
        {
            stretch = Load(key);
            _cache[key] = stretch;
        }

        stretch.LastUsed = ++_clock;
        if (!stretch.TryAdd((uint)(offset & ((1L << StretchBits) - 1))))
        {
            return false;
        }

        if (!stretch.Dirty)
        {
            stretch.Dirty = true;
            _dirty.Add(stretch);
        }

        return true;
    }

    /// <summary>
    /// The lines added since the last call, as the <see cref="Field"/> of the chunk that stores their
    /// events (null when none); call inside the events' write.
    /// </summary>
    public BsonArray? TakeAdded()
    {
        BsonArray? added = null;
        if (_dirty.Count > 0)
        {
            added = [];
            foreach (var stretch in _dirty)
            {
                added.Add(new BsonDocument { ["s"] = stretch.Id, ["o"] = stretch.TakeAdded() });
                stretch.Dirty = false;
            }

            _dirty.Clear();
        }

        if (_cache.Count > MaxCached)
        {
            foreach (var old in _cache.Values.OrderBy(s => s.LastUsed).Take(_cache.Count / 2).ToList())
            {
                _cache.Remove(old.Key);
            }
        }

        return added;
    }

    /// <summary>Forgets the cache: after a rolled-back write it may hold lines that were not stored.</summary>
    public void Reset()
    {
        _cache.Clear();
        _dirty.Clear();
    }

    /// <summary>
    /// Expires the old collection's parts stored before <paramref name="cutoff"/>; the chunks' lines
    /// go with their chunks. The cache is kept: the stretches in use are recent, and one that still
    /// remembers an expired line only drops a re-read of it, which is what de-duplication is for.
    /// </summary>
    public int DeleteOlderThan(DateTimeOffset cutoff) =>
        _legacy
            ? _database.Collection(CollectorDatabase.Lines).DeleteMany(Query.LT("tkey", BsonTime.Key(cutoff)))
            : 0;

    private Stretch Load(StretchKey key)
    {
        var stretch = new Stretch(key);
        // Compiled expressions with parameters: LiteDB compiles a Query anew on each call.
        _chunksNaming.Parameters["0"] = stretch.Id;
        foreach (var chunk in _chunks.Find(_chunksNaming))
        {
            foreach (var part in chunk[Field].AsArray)
            {
                if (part["s"] == stretch.Id)
                {
                    stretch.Read(part["o"].AsBinary);
                }
            }
        }

        if (_legacy)
        {
            _legacyParts.Parameters["0"] = stretch.Id + "|";
            _legacyParts.Parameters["1"] = stretch.Id + "|~";
            foreach (var part in _database.Collection(CollectorDatabase.Lines).Find(_legacyParts))
            {
                // "|" and a 32-digit part id: anything longer is another stretch whose key starts with this one.
                if (part["_id"].AsString.Length == stretch.Id.Length + 33)
                {
                    stretch.Read(part["offsets"].AsBinary);
                }
            }
        }

        return stretch;
    }

    /// <summary>The sorted offsets (relative to the stretch) stored from one stretch of one file.</summary>
    private sealed class Stretch(StretchKey key)
    {
        private readonly List<uint> _added = [];
        private uint[] _offsets = new uint[16];
        private int _count;

        public StretchKey Key { get; } = key;

        /// <summary>Its id in the chunks' <see cref="Field"/>.</summary>
        public string Id { get; } = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{key.Agent}|{key.Device}:{key.Inode}:{key.Generation}|{key.Number}");

        public bool Dirty { get; set; }

        public long LastUsed { get; set; }

        public bool TryAdd(uint offset)
        {
            if (!Insert(offset))
            {
                return false;
            }

            _added.Add(offset);
            return true;
        }

        /// <summary>The offsets added since the last call, little-endian.</summary>
        public byte[] TakeAdded()
        {
            var bytes = new byte[_added.Count * sizeof(uint)];
            for (var i = 0; i < _added.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), _added[i]);
            }

            _added.Clear();
            return bytes;
        }

        /// <summary>Merges one stored part.</summary>
        public void Read(byte[] bytes)
        {
            for (var i = 0; i + sizeof(uint) <= bytes.Length; i += sizeof(uint))
            {
                Insert(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)));
            }
        }

        private bool Insert(uint offset)
        {
            // Lines mostly arrive in file order: appending is the common case.
            var at = _count;
            if (_count > 0 && offset <= _offsets[_count - 1])
            {
                at = Array.BinarySearch(_offsets, 0, _count, offset);
                if (at >= 0)
                {
                    return false;
                }

                at = ~at;
            }

            if (_count == _offsets.Length)
            {
                Array.Resize(ref _offsets, _count * 2);
            }

            Array.Copy(_offsets, at, _offsets, at + 1, _count - at);
            _offsets[at] = offset;
            _count++;
            return true;
        }
    }

    /// <summary>One 256 KiB stretch of one file of one agent: no string per line to look it up.</summary>
    private readonly record struct StretchKey(string Agent, ulong Device, ulong Inode, uint Generation, long Number);
}
