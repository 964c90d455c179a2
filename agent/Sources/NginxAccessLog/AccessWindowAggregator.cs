using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Fleet502.Agent.Shipping;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Turns one access log's lines into per (server, upstream) windows of <see cref="WindowSeconds"/>
/// aligned to the lines' own time, so reading the same bytes again yields the same windows.
/// <list type="bullet">
/// <item>Each <c>$upstream_*</c> list is split per attempt (<c>", "</c> retries, <c>" : "</c> redirects):
/// the attempt's status, response time and verdict go to its own peer; <c>$status</c> and
/// <c>$request_time</c> go to the peer of the last attempt, which decided the response.</item>
/// <item>A period closes once a line at least <see cref="Grace"/> past its end is read (workers log a
/// little out of order), or by <see cref="CloseIdle"/> once the file has gone quiet.</item>
/// <item>Lines for an already closed period make a <c>late</c> addition; lines older than the first
/// period read (after a restart from a checkpoint, they were already sent) are skipped.</item>
/// </list>
/// Steady state allocates nothing per line or per window: windows are found by a hash of the line's
/// (server, upstream) bytes and compared against the bytes they keep, their state is pooled, and closed
/// windows are written straight to pooled protobuf events (<see cref="Drain(List{EncodedEvent}, in AccessFileSource)"/>).
/// </summary>
public sealed class AccessWindowAggregator
{
    public const int WindowSeconds = 10;

    /// <summary>Distinct (server, upstream) windows per period; more go to the overflow upstream.</summary>
    public const int MaxWindowsPerPeriod = 2000;

    public const string OverflowUpstream = "~overflow";

    private static ReadOnlySpan<byte> OverflowUpstreamBytes => "~overflow"u8;

    // Sizes of nginx's own 502/504 pages (catalogue 3.4): tokens off/on, with and without MSIE padding.
    private static readonly int[] NginxPageSizes = [150, 552, 157, 559, 160, 562, 167, 569];

    private readonly LogFormat _format;
    private readonly AccessLineFields _fields;
    private readonly Range[] _values;
    private readonly Action<long>? _windowOpened;
    private readonly List<AccessPeriod> _open = [];
    private readonly Stack<AccessPeriod> _periodPool = new();
    // Free window states, linked through their Next (unused while pooled): the pool never allocates to grow.
    private AccessWindowState? _freeStates;
    private readonly List<Closed> _ready = [];
    private readonly Stack<uint[]> _spareBuckets = new();
    private readonly byte[] _formatName;
    private string? _path;
    private byte[] _pathBytes = [];
    private long _newest = long.MinValue;
    private long _closedThrough = long.MinValue;
    private long _floor = long.MinValue;
    private ulong _malformedBeforeAnyTime;
    private bool _sawLineSinceIdleCheck;

    /// <param name="format">The file's log_format.</param>
    /// <param name="windowOpened">Called with the period's first-line offset for each new window (the source pins it until acked).</param>
    public AccessWindowAggregator(LogFormat format, Action<long>? windowOpened = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        _format = format;
        _fields = new AccessLineFields(format);
        _values = new Range[Math.Max(1, _fields.SlotCount)];
        _windowOpened = windowOpened;
        _formatName = Encoding.UTF8.GetBytes(format.Name);
    }

    public LogFormat Format => _format;

    /// <summary>How far past a period's end a line must be before the period closes. Default 2 s.</summary>
    public int Grace { get; init; } = 2;

    public long Lines { get; private set; }
    public long Malformed { get; private set; }
    public long Skipped { get; private set; }
    public long LateLines { get; private set; }

    /// <summary>Windows still open (for tests and stats).</summary>
    public int OpenWindows => _open.Sum(p => p.Windows.Count);

    /// <summary>Closed windows waiting for <c>Drain</c>.</summary>
    public int ReadyWindows => _ready.Count;

    /// <summary>Adds one line read at <paramref name="offset"/>; false when it does not match the format (counted, skipped).</summary>
    public bool Add(ReadOnlySpan<byte> line, long offset)
    {
        Lines++;
        _sawLineSinceIdleCheck = true;
        var values = _values.AsSpan();
        if (!_format.TryMatch(line, values) || !TryTime(line, values, out var time))
        {
            CountMalformed();
            return false;
        }

        var start = time - (((time % WindowSeconds) + WindowSeconds) % WindowSeconds);
        if (_floor == long.MinValue)
        {
            _floor = start;
        }
        else if (start < _floor)
        {
            Skipped++;
            return true;
        }

        var period = GetPeriod(start, offset);
        if (_malformedBeforeAnyTime > 0)
        {
            period.Malformed += _malformedBeforeAnyTime;
            _malformedBeforeAnyTime = 0;
        }

        Aggregate(period, line, values);
        if (time > _newest)
        {
            _newest = time;
            CloseThrough(_newest - Grace);
        }

        return true;
    }

    /// <summary>
    /// Closes periods that ended <see cref="Grace"/> + <paramref name="quiet"/> before <paramref name="nowUnixSeconds"/>,
    /// but only when no line arrived since the previous call (the file is caught up, not mid-backlog).
    /// </summary>
    public void CloseIdle(long nowUnixSeconds, int quiet = 3)
    {
        if (!_sawLineSinceIdleCheck)
        {
            CloseThrough(nowUnixSeconds - Grace - quiet);
        }

        _sawLineSinceIdleCheck = false;
    }

    /// <summary>Closes everything (the file went away or the agent stops).</summary>
    public void CloseAll() => CloseThrough(long.MaxValue - WindowSeconds);

    private void Aggregate(AccessPeriod period, ReadOnlySpan<byte> line, ReadOnlySpan<Range> values)
    {
        var f = _fields;
        var server = Server(line, values);
        var group = Slot(line, values, f.ProxyUpstreamName);
        var status = ParseStatus(Slot(line, values, f.Status));
        var isGatewayError = status is 502 or 504;
        var hasRequestTime = LatencyHistogram.TryParseSeconds(Slot(line, values, f.RequestTime), out var requestMs);
        var addrs = Slot(line, values, f.UpstreamAddr);

        if (addrs.IsEmpty || addrs.SequenceEqual("-"u8))
        {
            // Never went upstream, or the format does not say: the request counts for the server alone.
            var state = GetState(period, server, default, group);
            state.Requests++;
            state.CountStatus(status);
            if (hasRequestTime)
            {
                state.RequestTime.Add(requestMs);
            }

            if (isGatewayError)
            {
                if (f.UpstreamAddr < 0)
                {
                    state.VerdictUnknown++;
                }

                CountPageSize(state, line, values);
            }

            return;
        }

        var statuses = Slot(line, values, f.UpstreamStatus);
        var times = Slot(line, values, f.UpstreamResponseTime);
        var headers = Slot(line, values, f.UpstreamHeaderTime);
        var received = Slot(line, values, f.UpstreamBytesReceived);
        AccessWindowState? last = null;
        var attempts = 0;
        var switched = false;
        while (UpstreamValueList.TakeNext(ref addrs, out var addr, out var groupSwitch))
        {
            attempts++;
            switched |= groupSwitch;
            UpstreamValueList.TakeNext(ref statuses, out var upstreamStatus, out _);
            UpstreamValueList.TakeNext(ref times, out var time, out _);
            UpstreamValueList.TakeNext(ref headers, out var header, out _);
            UpstreamValueList.TakeNext(ref received, out var bytes, out _);

            var state = GetState(period, server, addr, group);
            state.Attempts++;
            if (LatencyHistogram.TryParseSeconds(time, out var ms))
            {
                state.UpstreamResponseTime.Add(ms);
            }

            var attemptStatus = 0;
            if (f.UpstreamStatus >= 0)
            {
                if (upstreamStatus.IsEmpty || upstreamStatus.SequenceEqual("-"u8))
                {
                    state.UpstreamStatusMissing++;
                }
                else
                {
                    attemptStatus = ParseStatus(upstreamStatus);
                    state.CountUpstreamStatus(attemptStatus);
                }
            }

            if (attemptStatus is 502 or 504)
            {
                // No response header (header time "-", or 0 bytes received): nginx decided the status itself.
                if (!f.KnowsVerdict)
                {
                    state.VerdictUnknown++;
                }
                else if ((f.UpstreamHeaderTime >= 0 && header.SequenceEqual("-"u8)) || (f.UpstreamBytesReceived >= 0 && bytes.SequenceEqual("0"u8)))
                {
                    state.NginxGenerated++;
                }
                else
                {
                    state.UpstreamGenerated++;
                }
            }

            last = state;
        }

        last!.Requests++;
        last.CountStatus(status);
        if (hasRequestTime)
        {
            last.RequestTime.Add(requestMs);
        }

        if (attempts > 1)
        {
            last.Retried++;
        }

        if (switched)
        {
            last.GroupSwitches++;
        }

        if (isGatewayError)
        {
            if (f.UpstreamStatus < 0)
            {
                last.VerdictUnknown++;
            }

            CountPageSize(last, line, values);
        }
    }

    private void CountPageSize(AccessWindowState state, ReadOnlySpan<byte> line, ReadOnlySpan<Range> values)
    {
        var size = ParseInt(Slot(line, values, _fields.BodyBytesSent));
        if (size > 0 && Array.IndexOf(NginxPageSizes, size) >= 0)
        {
            state.NginxPageSize++;
        }
    }

    private ReadOnlySpan<byte> Server(ReadOnlySpan<byte> line, ReadOnlySpan<Range> values)
    {
        var f = _fields;
        foreach (var slot in (ReadOnlySpan<int>)[f.ServerName, f.Host, f.HttpHost])
        {
            var v = Slot(line, values, slot);
            if (!v.IsEmpty && !v.SequenceEqual("-"u8))
            {
                return v;
            }
        }

        return default;
    }

    private AccessPeriod GetPeriod(long start, long offset)
    {
        // Usually the newest period: search from the end.
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            if (_open[i].Start == start)
            {
                return _open[i];
            }
        }

        var period = _periodPool.Count > 0 ? _periodPool.Pop() : new AccessPeriod();
        period.Start = start;
        period.FirstOffset = offset;
        period.Malformed = 0;
        period.Late = start <= _closedThrough;
        if (period.Late)
        {
            LateLines++;
        }

        var at = _open.Count;
        while (at > 0 && _open[at - 1].Start > start)
        {
            at--;
        }

        _open.Insert(at, period);
        return period;
    }

    private AccessWindowState GetState(AccessPeriod period, ReadOnlySpan<byte> server, ReadOnlySpan<byte> upstream, ReadOnlySpan<byte> group)
    {
        server = server.Length > AccessWindowState.MaxPartBytes ? server[..AccessWindowState.MaxPartBytes] : server;
        upstream = upstream.Length > AccessWindowState.MaxPartBytes ? upstream[..AccessWindowState.MaxPartBytes] : upstream;
        var state = Find(period, server, upstream, out var hash);
        if (state is not null)
        {
            return state;
        }

        if (period.Windows.Count >= MaxWindowsPerPeriod)
        {
            upstream = OverflowUpstreamBytes;
            state = Find(period, server, upstream, out hash);
            if (state is not null)
            {
                return state;
            }
        }

        if (_freeStates is { } free)
        {
            _freeStates = free.Next;
            state = free;
        }
        else
        {
            state = new AccessWindowState(_spareBuckets);
        }

        state.SetKey(server, upstream, group.SequenceEqual("-"u8) ? default : group, hash);
        state.Next = period.Heads.GetValueOrDefault(hash);
        period.Heads[hash] = state;
        period.Windows.Add(state);
        _windowOpened?.Invoke(period.FirstOffset);
        return state;
    }

    private static AccessWindowState? Find(AccessPeriod period, ReadOnlySpan<byte> server, ReadOnlySpan<byte> upstream, out ulong hash)
    {
        hash = XxHash3.HashToUInt64(upstream, (long)XxHash3.HashToUInt64(server));
        if (!period.Heads.TryGetValue(hash, out var state))
        {
            return null;
        }

        for (; state is not null; state = state.Next)
        {
            if (state.Matches(hash, server, upstream))
            {
                return state;
            }
        }

        return null;
    }

    private void CloseThrough(long time)
    {
        // A period [start, start+10) is done once time has passed its end.
        while (_open.Count > 0 && _open[0].Start + WindowSeconds <= time)
        {
            var period = _open[0];
            _open.RemoveAt(0);
            var malformed = period.Malformed;
            // In key order, so that re-reading the same lines yields the same events in the same order.
            var windows = CollectionsMarshal.AsSpan(period.Windows);
            windows.Sort(KeyOrder);
            foreach (var state in windows)
            {
                _ready.Add(new Closed(state, period.Start, period.FirstOffset, malformed, period.Late));
                malformed = 0;
            }

            period.Windows.Clear();
            period.Heads.Clear();
            _closedThrough = Math.Max(_closedThrough, period.Start);
            _periodPool.Push(period);
        }
    }

    /// <summary>Moves closed windows into <paramref name="into"/> as messages (tests and tools; allocates).</summary>
    public void Drain(List<ClosedAccessWindow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var c in _ready)
        {
            into.Add(new ClosedAccessWindow(c.State.ToProto(c.Start, WindowSeconds, _format.Name, c.Malformed, c.Late), c.FirstOffset));
            Release(c.State);
        }

        _ready.Clear();
    }

    /// <summary>
    /// Writes each closed window as an Event (time = window end, source = the period's first line, body =
    /// AccessWindow) straight into a pooled <see cref="EncodedEvent"/>, and adds it to <paramref name="into"/>.
    /// </summary>
    public void Drain(List<EncodedEvent> into, in AccessFileSource source)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (_ready.Count == 0)
        {
            return;
        }

        var path = PathBytes(source.Path);
        foreach (var c in _ready)
        {
            var evt = EncodedEventPool.Rent();
            evt.Source = new SourcePosition(source.Identity, source.Generation, c.FirstOffset);
            var writer = new ProtoWriter(evt.Fields(c.State.MaxEncodedBytes(path.Length + _formatName.Length)));
            writer.Timestamp(2, c.Start + WindowSeconds, 0);
            var src = writer.BeginMessage(3);
            writer.Utf8(1, path);
            writer.UInt64(2, source.Identity.Device);
            writer.UInt64(3, source.Identity.Inode);
            writer.Int64(4, c.FirstOffset);
            writer.UInt64(5, source.Generation);
            writer.EndMessage(src);
            var body = writer.BeginMessage(13);
            c.State.WriteTo(ref writer, c.Start, WindowSeconds, _formatName, c.Malformed, c.Late);
            writer.EndMessage(body);
            evt.SetLength(writer.Position);
            into.Add(evt);
            Release(c.State);
        }

        _ready.Clear();
    }

    private void Release(AccessWindowState state)
    {
        state.Reset();
        state.Next = _freeStates;
        _freeStates = state;
    }

    private ReadOnlySpan<byte> PathBytes(string path)
    {
        if (!ReferenceEquals(path, _path))
        {
            // A file's windows share its path string: encode it once per file, not per event.
            _path = path;
            _pathBytes = Encoding.UTF8.GetBytes(path);
        }

        return _pathBytes;
    }

    private void CountMalformed()
    {
        Malformed++;
        if (_open.Count > 0)
        {
            _open[^1].Malformed++;
        }
        else
        {
            _malformedBeforeAnyTime++;
        }
    }

    private bool TryTime(ReadOnlySpan<byte> line, ReadOnlySpan<Range> values, out long time)
    {
        var f = _fields;
        if (f.TimeLocal >= 0)
        {
            return AccessTime.TryParseLocal(line[values[f.TimeLocal]], out time);
        }

        if (f.TimeIso8601 >= 0)
        {
            return AccessTime.TryParseIso8601(line[values[f.TimeIso8601]], out time);
        }

        if (f.Msec >= 0)
        {
            return AccessTime.TryParseMsec(line[values[f.Msec]], out time);
        }

        // A format without any time: windows follow the newest time seen, else the epoch's first window.
        time = _newest == long.MinValue ? 0 : _newest;
        return true;
    }

    private static ReadOnlySpan<byte> Slot(ReadOnlySpan<byte> line, ReadOnlySpan<Range> values, int slot) =>
        slot >= 0 ? line[values[slot]] : default;

    private static int ParseStatus(ReadOnlySpan<byte> s) =>
        s.Length == 3 && (uint)(s[0] - '0') <= 9 && (uint)(s[1] - '0') <= 9 && (uint)(s[2] - '0') <= 9
            ? (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0')
            : 0;

    private static int ParseInt(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || s.Length > 9)
        {
            return -1;
        }

        var v = 0;
        foreach (var b in s)
        {
            if ((uint)(b - '0') > 9)
            {
                return -1;
            }

            v = v * 10 + (b - '0');
        }

        return v;
    }

    /// <summary>A closed window waiting to be drained: its state stays out of the pool until then.</summary>
    private readonly record struct Closed(AccessWindowState State, long Start, long FirstOffset, ulong Malformed, bool Late);

    /// <summary>
    /// Ordinal order of the windows' <c>server '\n' upstream</c> bytes. A cached delegate: Span.Sort with an
    /// IComparer wraps its Compare in a new delegate on every call.
    /// </summary>
    private static readonly Comparison<AccessWindowState> KeyOrder = (x, y) => x.Key.SequenceCompareTo(y.Key);
}
