using System.Buffers.Binary;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// Which log lines each agent's stored events were read from, for ever (until retention): the
/// collector's second de-duplication, for an agent killed before its checkpoint moved that reads
/// the same lines again under new seqs. A line is (file device, inode, generation, offset).
/// </summary>
/// <remarks>
/// Kept per 256 KiB stretch of a file: each commit inserts, per stretch it added to, one small
/// document with the offsets it added (the <c>lines</c> collection, id "agent|file|stretch|part"),
/// so a storm's events cost one small insert per agent file per commit instead of an index entry
/// each, and nothing is rewritten. The stretches in use stay cached; a cache miss reads the
/// stretch's parts by id prefix. Only used under the database's write lock.
/// </remarks>
internal sealed class LineIndex
{
    /// <summary>Bytes of a file one document covers: about a thousand nginx error lines.</summary>
    private const int StretchBits = 18;

    /// <summary>Stretches kept in memory; the least recently used half goes when it is exceeded.</summary>
    private const int MaxCached = 16_384;

    private readonly ILiteCollection<BsonDocument> _lines;
    private readonly Dictionary<StretchKey, Stretch> _cache = [];
    private readonly List<Stretch> _dirty = [];
    private readonly BsonExpression _partsOf = BsonExpression.Create("_id BETWEEN @0 AND @1");
    private long _clock;

    public LineIndex(CollectorDatabase database)
    {
        _lines = database.Collection(CollectorDatabase.Lines);
        database.RolledBack += Reset;
    }

    /// <summary>
    /// Records the line; false when it was recorded before (the event is a duplicate). Written to
    /// the database by <see cref="Flush"/>, in the same transaction as the events.
    /// </summary>
    public bool TryAdd(string agentId, ulong device, ulong inode, uint generation, long offset)
    {
        // No string per line: the stretch's document id is made only when it is read or written.
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

    /// <summary>Writes the stretches changed since the last flush; call inside the events' write.</summary>
    public void Flush(DateTimeOffset now)
    {
        foreach (var stretch in _dirty)
        {
            var id = $"{stretch.Id}|{Guid.CreateVersion7(now):N}";
            _lines.Insert(new BsonDocument
            {
                ["_id"] = id,
                ["tkey"] = $"{BsonTime.Key(now)}|{id}",
                ["offsets"] = stretch.TakeAdded(),
            });
            stretch.Dirty = false;
        }

        _dirty.Clear();
        if (_cache.Count > MaxCached)
        {
            foreach (var old in _cache.Values.OrderBy(s => s.LastUsed).Take(_cache.Count / 2).ToList())
            {
                _cache.Remove(old.Key);
            }
        }
    }

    /// <summary>Forgets the cache: after a rolled-back write it may hold lines that were not stored.</summary>
    public void Reset()
    {
        _cache.Clear();
        _dirty.Clear();
    }

    /// <summary>Forgets the lines stored before <paramref name="cutoff"/> (retention, with their events).</summary>
    public int DeleteOlderThan(DateTimeOffset cutoff)
    {
        var deleted = _lines.DeleteMany(Query.LT("tkey", BsonTime.Key(cutoff)));
        Reset();
        return deleted;
    }

    private Stretch Load(StretchKey key)
    {
        var stretch = new Stretch(key);
        // A compiled expression with parameters: LiteDB compiles a Query.StartsWith anew on each call.
        _partsOf.Parameters["0"] = stretch.Id + "|";
        _partsOf.Parameters["1"] = stretch.Id + "|~";
        foreach (var part in _lines.Find(_partsOf))
        {
            if (part["_id"].AsString.Length != stretch.Id.Length + 33)
            {
                continue; // "|" and a 32-digit part id: anything longer is another stretch whose key starts with this one
            }

            stretch.Read(part["offsets"].AsBinary);
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

        /// <summary>The prefix of its parts' document ids.</summary>
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
