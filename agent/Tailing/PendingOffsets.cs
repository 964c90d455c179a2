using Fleet502.Agent.Platform;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// Offsets of lines whose events the collector has not acknowledged yet, per file generation.
/// A file's checkpoint never passes the lowest of them: a crash or restart re-reads from there,
/// and the collector drops what it already holds. Called once per event on the hot path, so it
/// allocates nothing in steady state: offsets arrive in file order and sit in a sorted ring.
/// </summary>
public sealed class PendingOffsets
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(FileIdentity, uint), OffsetRing> _pending = [];
    private readonly Stack<OffsetRing> _spare = new();
    private int _count;
    private (FileIdentity, uint) _lastKey;
    private OffsetRing? _last;

    public void Add(FileIdentity file, uint generation, long offset)
    {
        lock (_gate)
        {
            var ring = _last is { } last && _lastKey == (file, generation) ? last : null;
            if (ring is null && !_pending.TryGetValue((file, generation), out ring))
            {
                _pending[(file, generation)] = ring = _spare.TryPop(out var spare) ? spare : new OffsetRing();
            }

            // Events come in runs from one file: skip the lookup for the next one.
            (_lastKey, _last) = ((file, generation), ring);
            ring.Add(offset);
            _count++;
        }
    }

    public void Release(FileIdentity file, uint generation, long offset)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue((file, generation), out var ring) || !ring.Release(offset))
            {
                return;
            }

            _count--;
            if (ring.IsEmpty)
            {
                _pending.Remove((file, generation));
                _spare.Push(ring);
                if (ReferenceEquals(ring, _last))
                {
                    _last = null;
                }
            }
        }
    }

    /// <summary>The offset a checkpoint of <paramref name="file"/> may advance to.</summary>
    public long Committed(TailedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        lock (_gate)
        {
            return _pending.TryGetValue((file.Identity, file.Generation), out var ring) && !ring.IsEmpty
                ? Math.Min(ring.Lowest, file.Offset)
                : file.Offset;
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// Distinct offsets in ascending order with how many events each still waits for. Released
    /// offsets stay as zero counts until they reach the front, so a release is a binary search.
    /// </summary>
    private sealed class OffsetRing
    {
        private long[] _offsets = new long[64];
        private int[] _counts = new int[64];
        private int _head;
        private int _length;

        public bool IsEmpty => _length == 0;

        public long Lowest => _offsets[_head];

        public void Add(long offset)
        {
            if (_length > 0 && _offsets[Slot(_length - 1)] == offset)
            {
                _counts[Slot(_length - 1)]++;
                return;
            }

            if (_length == _offsets.Length)
            {
                Grow();
            }

            if (_length == 0 || _offsets[Slot(_length - 1)] < offset)
            {
                // File order: the usual case.
                _offsets[Slot(_length)] = offset;
                _counts[Slot(_length)] = 1;
                _length++;
                return;
            }

            var i = Find(offset);
            if (i < _length && _offsets[Slot(i)] == offset)
            {
                _counts[Slot(i)]++;
                return;
            }

            for (var j = _length; j > i; j--)
            {
                _offsets[Slot(j)] = _offsets[Slot(j - 1)];
                _counts[Slot(j)] = _counts[Slot(j - 1)];
            }

            _offsets[Slot(i)] = offset;
            _counts[Slot(i)] = 1;
            _length++;
        }

        public bool Release(long offset)
        {
            var i = Find(offset);
            if (i >= _length || _offsets[Slot(i)] != offset || _counts[Slot(i)] == 0)
            {
                return false;
            }

            _counts[Slot(i)]--;
            while (_length > 0 && _counts[_head] == 0)
            {
                _head = (_head + 1) & (_offsets.Length - 1);
                _length--;
            }

            if (_length == 0)
            {
                _head = 0;
            }

            return true;
        }

        /// <summary>Logical index of the first offset ≥ <paramref name="offset"/>.</summary>
        private int Find(long offset)
        {
            int lo = 0, hi = _length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_offsets[Slot(mid)] < offset)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        private int Slot(int index) => (_head + index) & (_offsets.Length - 1);

        private void Grow()
        {
            var offsets = new long[_offsets.Length * 2];
            var counts = new int[_counts.Length * 2];
            for (var i = 0; i < _length; i++)
            {
                offsets[i] = _offsets[Slot(i)];
                counts[i] = _counts[Slot(i)];
            }

            _offsets = offsets;
            _counts = counts;
            _head = 0;
        }
    }
}
