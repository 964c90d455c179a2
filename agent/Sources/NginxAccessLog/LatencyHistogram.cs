using System.Numerics;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Fixed log-linear histogram of milliseconds: exact below 64 ms, then 32 buckets per power of two
/// (about 3 % relative error) up to 2^32 ms. A window usually sees a handful of values: the first
/// <see cref="SmallCount"/> are kept as they are and the quantile is read off the sorted values (the same
/// bucket midpoint the counters would give), so a small window neither clears nor walks 896 counters.
/// Past that the counters are taken from <c>spare</c> (the aggregator's, shared by its windows: only the few
/// busy windows need counters) and given back cleared; only their touched range is walked and cleared.
/// </summary>
public sealed class LatencyHistogram(Stack<uint[]>? spare = null)
{
    public const int SmallCount = 32;

    private const int Linear = 64;
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    public const int BucketCount = Linear + (32 - 6) * SubBuckets;

    private readonly uint[] _small = new uint[SmallCount];
    private uint[]? _counts;
    private bool _spilled;
    private int _low = BucketCount;
    private int _high = -1;

    public ulong Count { get; private set; }

    public uint Max { get; private set; }

    public void Add(uint milliseconds)
    {
        if (!_spilled)
        {
            if (Count < SmallCount)
            {
                _small[Count] = milliseconds;
                Count++;
                Max = Math.Max(Max, milliseconds);
                return;
            }

            Spill();
        }

        Count++;
        Max = Math.Max(Max, milliseconds);
        CountBucket(milliseconds);
    }

    private void Spill()
    {
        _counts ??= spare is { Count: > 0 } ? spare.Pop() : new uint[BucketCount];
        _spilled = true;
        foreach (var v in _small)
        {
            CountBucket(v);
        }
    }

    private void CountBucket(uint milliseconds)
    {
        var b = Bucket(milliseconds);
        _counts![b]++;
        _low = Math.Min(_low, b);
        _high = Math.Max(_high, b);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1): the middle of its bucket, never above the maximum.</summary>
    public uint Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (ulong)Math.Ceiling(q * Count);
        rank = Math.Clamp(rank, 1, Count);
        if (!_spilled)
        {
            // Order does not matter to the histogram: sort in place and take the rank-th value's bucket.
            var values = _small.AsSpan(0, (int)Count);
            InsertionSort(values);
            return Middle(Bucket(values[(int)rank - 1]));
        }

        ulong seen = 0;
        for (var b = _low; b <= _high; b++)
        {
            seen += _counts![b];
            if (seen >= rank)
            {
                return Middle(b);
            }
        }

        return Max;
    }

    // At most SmallCount values, sorted again by each quantile (then already in order: linear). Not
    // Span.Sort: under NativeAOT it allocated a Comparison delegate per call (~150 B per window).
    private static void InsertionSort(Span<uint> values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            var v = values[i];
            var j = i - 1;
            while (j >= 0 && values[j] > v)
            {
                values[j + 1] = values[j];
                j--;
            }

            values[j + 1] = v;
        }
    }

    private uint Middle(int b)
    {
        var lower = Lower(b);
        var width = b < Linear ? 1u : 1u << ((b - Linear) / SubBuckets + 6 - SubBucketBits);
        return Math.Min(Max, lower + (width - 1) / 2);
    }

    public LatencyQuantiles ToProto() => new()
    {
        Count = Count,
        P50Ms = Quantile(0.50),
        P95Ms = Quantile(0.95),
        P99Ms = Quantile(0.99),
        MaxMs = Max,
    };

    public void Reset()
    {
        if (_spilled)
        {
            _counts.AsSpan(_low, _high - _low + 1).Clear();
            if (spare is not null)
            {
                spare.Push(_counts!);
                _counts = null;
            }

            _spilled = false;
            _low = BucketCount;
            _high = -1;
        }

        Count = 0;
        Max = 0;
    }

    internal static int Bucket(uint value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var log = 31 - BitOperations.LeadingZeroCount(value);
        var sub = (int)(value >> (log - SubBucketBits)) & (SubBuckets - 1);
        return Linear + (log - 6) * SubBuckets + sub;
    }

    internal static uint Lower(int bucket)
    {
        if (bucket < Linear)
        {
            return (uint)bucket;
        }

        var log = (bucket - Linear) / SubBuckets + 6;
        var sub = (uint)((bucket - Linear) % SubBuckets);
        return (1u << log) + (sub << (log - SubBucketBits));
    }

    /// <summary>Parses nginx's <c>%T.%03M</c> seconds ("0.003", "5.000", "12") into ms; false for "-" or junk.</summary>
    public static bool TryParseSeconds(ReadOnlySpan<byte> text, out uint milliseconds)
    {
        milliseconds = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        ulong whole = 0;
        var i = 0;
        for (; i < text.Length && (uint)(text[i] - '0') <= 9; i++)
        {
            whole = whole * 10 + (uint)(text[i] - '0');
            if (whole > 4_000_000)
            {
                return false;
            }
        }

        if (i == 0)
        {
            return false;
        }

        uint fraction = 0;
        var digits = 0;
        if (i < text.Length && text[i] == (byte)'.')
        {
            for (i++; i < text.Length && (uint)(text[i] - '0') <= 9; i++)
            {
                if (digits < 3)
                {
                    fraction = fraction * 10 + (uint)(text[i] - '0');
                    digits++;
                }
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        for (; digits < 3; digits++)
        {
            fraction *= 10;
        }

        milliseconds = (uint)(whole * 1000 + fraction);
        return true;
    }
}
