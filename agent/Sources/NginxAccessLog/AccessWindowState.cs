using System.Numerics;
using System.Text;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Running counters of one (server, upstream) window, keyed by the bytes read from the line
/// (<c>server '\n' upstream</c>, cut to <see cref="MaxKeyBytes"/>). Pooled and reset between periods,
/// and written straight to protobuf when it closes, so a steady stream of lines allocates nothing.
/// </summary>
public sealed class AccessWindowState(Stack<uint[]>? spareBuckets = null)
{
    public const int MaxPartBytes = 256;
    public const int MaxKeyBytes = 2 * MaxPartBytes + 1;

    // Sized to the keys seen, not to the longest possible one (most are a host name and an ip:port): a pooled
    // state grows once for a longer key and keeps it. Thousands of states are alive while a backlog is read.
    private byte[] _key = new byte[64];
    private byte[] _group = new byte[32];
    private int _keyLength;
    private int _serverLength;
    private int _groupLength;

    /// <summary>Hash of <see cref="Key"/>; the period's table chains equal hashes through <see cref="Next"/>.</summary>
    internal ulong Hash { get; set; }

    internal AccessWindowState? Next { get; set; }

    /// <summary><c>server '\n' upstream</c> as read (UTF-8, possibly invalid): the window's identity and sort order.</summary>
    public ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

    public ReadOnlySpan<byte> Server => _key.AsSpan(0, _serverLength);

    public ReadOnlySpan<byte> Upstream => _key.AsSpan(_serverLength + 1, _keyLength - _serverLength - 1);

    public ReadOnlySpan<byte> UpstreamGroup => _group.AsSpan(0, _groupLength);

    public ulong Requests { get; set; }
    public ulong Attempts { get; set; }
    public ulong UpstreamStatusMissing { get; set; }
    public ulong NginxGenerated { get; set; }
    public ulong UpstreamGenerated { get; set; }
    public ulong VerdictUnknown { get; set; }
    public ulong NginxPageSize { get; set; }
    public ulong Retried { get; set; }
    public ulong GroupSwitches { get; set; }
    public StatusCounts Statuses { get; } = new();
    public StatusCounts UpstreamStatuses { get; } = new();
    public LatencyHistogram RequestTime { get; } = new(spareBuckets);
    public LatencyHistogram UpstreamResponseTime { get; } = new(spareBuckets);

    /// <summary>Sets the key; <paramref name="server"/> and <paramref name="upstream"/> are at most <see cref="MaxPartBytes"/> each.</summary>
    internal void SetKey(ReadOnlySpan<byte> server, ReadOnlySpan<byte> upstream, ReadOnlySpan<byte> group, ulong hash)
    {
        var length = server.Length + 1 + upstream.Length;
        if (_key.Length < length)
        {
            _key = new byte[Math.Min(MaxKeyBytes, (int)BitOperations.RoundUpToPowerOf2((uint)length))];
        }

        server.CopyTo(_key);
        _key[server.Length] = (byte)'\n';
        upstream.CopyTo(_key.AsSpan(server.Length + 1));
        _serverLength = server.Length;
        _keyLength = length;
        group = group.Length > MaxPartBytes ? group[..MaxPartBytes] : group;
        if (_group.Length < group.Length)
        {
            _group = new byte[Math.Min(MaxPartBytes, (int)BitOperations.RoundUpToPowerOf2((uint)group.Length))];
        }

        group.CopyTo(_group);
        _groupLength = group.Length;
        Hash = hash;
    }

    internal bool Matches(ulong hash, ReadOnlySpan<byte> server, ReadOnlySpan<byte> upstream) =>
        Hash == hash && _serverLength == server.Length && _keyLength == server.Length + 1 + upstream.Length
        && Server.SequenceEqual(server) && Upstream.SequenceEqual(upstream);

    public void CountStatus(int status) => Statuses.Add(status);

    public void CountUpstreamStatus(int status) => UpstreamStatuses.Add(status);

    /// <summary>Bytes <see cref="WriteTo"/> may take, with <paramref name="textBytes"/> of other strings.</summary>
    internal int MaxEncodedBytes(int textBytes) =>
        160 + ProtoWriter.MaxUtf8Bytes(_keyLength + _groupLength + textBytes) + 24 * (Statuses.Distinct + UpstreamStatuses.Distinct);

    /// <summary>Writes the AccessWindow message's fields (what <see cref="ToProto"/> builds, without the objects).</summary>
    internal void WriteTo(ref ProtoWriter writer, long startUnixSeconds, int seconds, ReadOnlySpan<byte> logFormat, ulong malformed, bool late)
    {
        writer.Utf8(1, Server);
        writer.Utf8(2, Upstream);
        writer.Utf8(3, UpstreamGroup);
        writer.Timestamp(4, startUnixSeconds, 0);
        writer.UInt64(5, (uint)seconds);
        writer.Utf8(6, logFormat);
        writer.UInt64(7, Requests);
        writer.UInt64(8, Attempts);
        Statuses.WriteTo(ref writer, 9);
        UpstreamStatuses.WriteTo(ref writer, 10);
        writer.UInt64(11, UpstreamStatusMissing);
        WriteQuantiles(ref writer, 12, RequestTime);
        WriteQuantiles(ref writer, 13, UpstreamResponseTime);
        writer.UInt64(14, NginxGenerated);
        writer.UInt64(15, UpstreamGenerated);
        writer.UInt64(16, VerdictUnknown);
        writer.UInt64(17, NginxPageSize);
        writer.UInt64(18, Retried);
        writer.UInt64(19, GroupSwitches);
        writer.UInt64(20, malformed);
        writer.Bool(21, late);
    }

    private static void WriteQuantiles(ref ProtoWriter writer, int field, LatencyHistogram histogram)
    {
        // Always present (possibly empty), as ToProto sets it.
        var mark = writer.BeginMessage(field);
        writer.UInt64(1, histogram.Count);
        writer.UInt64(2, histogram.Quantile(0.50));
        writer.UInt64(3, histogram.Quantile(0.95));
        writer.UInt64(4, histogram.Quantile(0.99));
        writer.UInt64(5, histogram.Max);
        writer.EndMessage(mark);
    }

    /// <summary>The window as a message (tests and tools; allocates).</summary>
    public AccessWindow ToProto(long startUnixSeconds, int seconds, string logFormat, ulong malformed, bool late)
    {
        var window = new AccessWindow
        {
            Server = Encoding.UTF8.GetString(Server),
            Upstream = Encoding.UTF8.GetString(Upstream),
            UpstreamGroup = Encoding.UTF8.GetString(UpstreamGroup),
            Start = new Timestamp { Seconds = startUnixSeconds },
            Seconds = (uint)seconds,
            LogFormat = logFormat,
            Requests = Requests,
            Attempts = Attempts,
            UpstreamStatusMissing = UpstreamStatusMissing,
            RequestTime = RequestTime.ToProto(),
            UpstreamResponseTime = UpstreamResponseTime.ToProto(),
            NginxGenerated = NginxGenerated,
            UpstreamGenerated = UpstreamGenerated,
            VerdictUnknown = VerdictUnknown,
            NginxPageSize = NginxPageSize,
            Retried = Retried,
            GroupSwitches = GroupSwitches,
            MalformedLines = malformed,
            Late = late,
        };
        Statuses.CopyTo(window.Statuses);
        UpstreamStatuses.CopyTo(window.UpstreamStatuses);
        return window;
    }

    public void Reset()
    {
        Statuses.Reset();
        UpstreamStatuses.Reset();
        _keyLength = _serverLength = _groupLength = 0;
        Hash = 0;
        Next = null;
        Requests = Attempts = UpstreamStatusMissing = NginxGenerated = UpstreamGenerated = VerdictUnknown = NginxPageSize = Retried = GroupSwitches = 0;
        RequestTime.Reset();
        UpstreamResponseTime.Reset();
    }
}
