using System.Buffers.Binary;
using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>
/// Which log lines each agent's stored events were read from, for ever (until retention): the
/// collector's second de-duplication, for an agent killed before its checkpoint moved that reads
/// the same lines again under new seqs. A line is (file device, inode, generation, offset).
/// </summary>
/// <remarks>
/// One document per 256 KiB of one file (the <c>lines</c> collection), holding the sorted offsets
/// stored from that stretch: a storm's events cost one document write per agent file per commit
/// instead of one index entry each. The stretches in use stay cached; a cache miss is one
/// primary-key read. Only used under the database's write lock.
/// </remarks>
internal sealed class LineIndex
{
    /// <summary>Bytes of a file one document covers: about a thousand nginx error lines.</summary>
    private const int StretchBits = 18;

    /// <summary>Stretches kept in memory; the least recently used half goes when it is exceeded.</summary>
    private const int MaxCached = 16_384;

    private readonly ILiteCollection<BsonDocument> _lines;
    private readonly Dictionary<string, Stretch> _cache = new(StringComparer.Ordinal);
    private readonly List<Stretch> _dirty = [];
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
        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{agentId}|{device}:{inode}:{generation}|{offset >> StretchBits}");
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
            _lines.Upsert(new BsonDocument
            {
                ["_id"] = stretch.Key,
                ["offsets"] = stretch.ToBytes(),
                ["updated"] = BsonTime.From(now),
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

    /// <summary>Drops the stretches nothing was added to since <paramref name="cutoff"/> (retention).</summary>
    public int DeleteOlderThan(DateTimeOffset cutoff)
    {
        var deleted = _lines.DeleteMany(Query.LT("updated", BsonTime.From(cutoff)));
        Reset();
        return deleted;
    }

    private Stretch Load(string key)
    {
        var stretch = new Stretch(key);
        if (_lines.FindById(key) is { } doc)
        {
            stretch.Read(doc["offsets"].AsBinary);
        }

        return stretch;
    }

    /// <summary>The sorted offsets (relative to the stretch) stored from one stretch of one file.</summary>
    private sealed class Stretch(string key)
    {
        private uint[] _offsets = new uint[16];
        private int _count;

        public string Key { get; } = key;

        public bool Dirty { get; set; }

        public long LastUsed { get; set; }

        public bool TryAdd(uint offset)
        {
            // Lines mostly arrive in file order: appending is the common case.
            if (_count == 0 || offset > _offsets[_count - 1])
            {
                Insert(_count, offset);
                return true;
            }

            var at = Array.BinarySearch(_offsets, 0, _count, offset);
            if (at >= 0)
            {
                return false;
            }

            Insert(~at, offset);
            return true;
        }

        public byte[] ToBytes()
        {
            var bytes = new byte[_count * sizeof(uint)];
            for (var i = 0; i < _count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), _offsets[i]);
            }

            return bytes;
        }

        public void Read(byte[] bytes)
        {
            _count = bytes.Length / sizeof(uint);
            _offsets = new uint[Math.Max(16, _count * 2)];
            for (var i = 0; i < _count; i++)
            {
                _offsets[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)));
            }
        }

        private void Insert(int at, uint offset)
        {
            if (_count == _offsets.Length)
            {
                Array.Resize(ref _offsets, _count * 2);
            }

            Array.Copy(_offsets, at, _offsets, at + 1, _count - at);
            _offsets[at] = offset;
            _count++;
        }
    }
}
