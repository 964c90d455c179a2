using System.Numerics;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Fixed log-linear histogram of milliseconds: exact below 64 ms, then 32 buckets per power of two
/// (about 3 % relative error) up to 2^32 ms. Adding never allocates; quantiles walk 896 counters.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Linear = 64;
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    public const int BucketCount = Linear + (32 - 6) * SubBuckets;

    private readonly uint[] _counts = new uint[BucketCount];

    public ulong Count { get; private set; }

    public uint Max { get; private set; }

    public void Add(uint milliseconds)
    {
        _counts[Bucket(milliseconds)]++;
        Count++;
        if (milliseconds > Max)
        {
            Max = milliseconds;
        }
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
        ulong seen = 0;
        for (var b = 0; b < BucketCount; b++)
        {
            seen += _counts[b];
            if (seen >= rank)
            {
                var lower = Lower(b);
                var width = b < Linear ? 1u : 1u << ((b - Linear) / SubBuckets + 6 - SubBucketBits);
                return Math.Min(Max, lower + (width - 1) / 2);
            }
        }

        return Max;
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
        if (Count > 0)
        {
            Array.Clear(_counts);
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
