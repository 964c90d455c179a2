using Fleet502.Agent.Platform;

namespace Fleet502.Agent.Tailing;

/// <summary>
/// Offsets of lines whose events the collector has not acknowledged yet, per file generation.
/// A file's checkpoint never passes the lowest of them: a crash or restart re-reads from there,
/// and the collector drops what it already holds.
/// </summary>
public sealed class PendingOffsets
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(FileIdentity, uint), SortedDictionary<long, int>> _pending = [];

    public void Add(FileIdentity file, uint generation, long offset)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue((file, generation), out var offsets))
            {
                _pending[(file, generation)] = offsets = [];
            }

            offsets[offset] = offsets.GetValueOrDefault(offset) + 1;
        }
    }

    public void Release(FileIdentity file, uint generation, long offset)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue((file, generation), out var offsets) || !offsets.TryGetValue(offset, out var count))
            {
                return;
            }

            if (count > 1)
            {
                offsets[offset] = count - 1;
            }
            else
            {
                offsets.Remove(offset);
                if (offsets.Count == 0)
                {
                    _pending.Remove((file, generation));
                }
            }
        }
    }

    /// <summary>The offset a checkpoint of <paramref name="file"/> may advance to.</summary>
    public long Committed(TailedFile file)
    {
        lock (_gate)
        {
            return _pending.TryGetValue((file.Identity, file.Generation), out var offsets) && offsets.Count > 0
                ? Math.Min(offsets.Keys.First(), file.Offset)
                : file.Offset;
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Values.Sum(o => o.Values.Sum());
            }
        }
    }
}
