using System.Text;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Folds identical (file, cause, upstream peer, server) errors into few events, so a storm of
/// 50k errors/s stays cheap to ship:
/// <list type="bullet">
/// <item>the first error of a key in a second of the log goes out at once (count 1): the collector
/// hears about a new failure without waiting for a window;</item>
/// <item>the rest of that second become one event with a count, first/last time and one raw sample,
/// sent when the file moves on to a later second, or has been quiet for the window.</item>
/// </list>
/// Groups follow the order and timestamps of the file, not the reading speed, so re-reading the
/// same lines after a crash rebuilds exactly the same events, each named by the offset of its
/// first line, and the collector can drop the ones it already holds. The key is hashed from the
/// line's bytes and compared against copies kept by the first error, so a repeated error
/// allocates nothing.
/// </summary>
public sealed class UpstreamErrorCoalescer(TimeSpan window, TimeProvider time, Action<LineOrigin>? opened = null)
{
    private const int MaxRawBytes = 4096;
    private readonly Dictionary<ulong, Pending> _pending = [];
    private readonly Dictionary<(ulong Device, ulong Inode), FileClock> _files = [];
    private readonly List<Event> _ready = [];
    private int _count;

    /// <summary>Groups waiting for their second to end (with at least one error in them).</summary>
    public int PendingCount => _count;

    /// <summary>Adds one classified line (kept for callers that already hold a <see cref="SourceRef"/>).</summary>
    public void Add(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, SourceRef source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Add(line, classification, raw, new LineOrigin(source.Path, source.Device, source.Inode, source.Offset, source.Generation));
    }

    public void Add(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, in LineOrigin origin)
    {
        var at = ToUtc(line.LocalTime) ?? time.GetUtcNow().UtcDateTime;
        if (window <= TimeSpan.Zero || line.LocalTime is null)
        {
            // Nothing to fold (coalescing off, or no timestamp to group by): one event per line.
            Emit(Create(line, classification, raw, at), origin, count: 1, last: at);
            return;
        }

        var peer = UpstreamPeerKey.Of(line, out var unix);
        var server = line.Server;
        var hash = new HashCode();
        hash.Add(origin.Device);
        hash.Add(origin.Inode);
        hash.Add(unix);
        hash.AddBytes(peer);
        hash.Add(peer.Length);
        hash.AddBytes(server);
        var key = ((ulong)(uint)classification.Cause << 32) | (uint)hash.ToHashCode();
        var second = line.LocalTime.Value;
        var now = time.GetTimestamp();
        var file = (origin.Device, origin.Inode);
        if (!_files.TryGetValue(file, out var clock))
        {
            _files[file] = clock = new FileClock(second);
        }
        else if (second > clock.Second)
        {
            // The file has moved on to a later second: every earlier group of this file is complete.
            CloseFile(file, before: second);
            clock.Second = second;
        }

        clock.LastArrival = now;

        _pending.TryGetValue(key, out var head);
        for (var p = head; p is not null; p = p.Next)
        {
            if (p.Unix != unix || p.Device != origin.Device || p.Inode != origin.Inode
                || !p.Peer.AsSpan().SequenceEqual(peer) || !p.Server.AsSpan().SequenceEqual(server))
            {
                continue;
            }

            if (p.Second == second)
            {
                if (p.Count == 0)
                {
                    // The second error of this second opens the folded event.
                    p.Open(Create(line, classification, raw, at), origin);
                    opened?.Invoke(origin);
                    _count++;
                }
                else
                {
                    p.Count++;
                    if (at > p.Last)
                    {
                        p.Last = at;
                    }
                }

                return;
            }

            // Another second for this key (an older line from a slower worker): a new group.
            Close(p);
            p.Restart(second);
            Emit(Create(line, classification, raw, at), origin, count: 1, last: at);
            return;
        }

        _pending[key] = new Pending(unix, origin.Device, origin.Inode, peer.ToArray(), server.ToArray(), second) { Next = head };
        Emit(Create(line, classification, raw, at), origin, count: 1, last: at);
    }

    /// <summary>
    /// Takes the events ready to send: first errors, completed seconds, and the groups of files
    /// quiet for the window (all of them when <paramref name="all"/>).
    /// </summary>
    public void Drain(List<Event> into, bool all = false)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (_files.Count > 0)
        {
            var now = time.GetTimestamp();
            foreach (var (file, clock) in _files)
            {
                if (all || time.GetElapsedTime(clock.LastArrival, now) >= window)
                {
                    CloseFile(file, before: DateTime.MaxValue);
                    _files.Remove(file);
                }
            }
        }

        into.AddRange(_ready);
        _ready.Clear();
    }

    private void CloseFile((ulong Device, ulong Inode) file, DateTime before)
    {
        foreach (var (key, head) in _pending)
        {
            Pending? kept = null;
            for (var p = head; p is not null;)
            {
                var next = p.Next;
                if (p.Device == file.Device && p.Inode == file.Inode && p.Second < before)
                {
                    Close(p);
                }
                else
                {
                    p.Next = kept;
                    kept = p;
                }

                p = next;
            }

            if (kept is null)
            {
                _pending.Remove(key);
            }
            else if (!ReferenceEquals(kept, head))
            {
                _pending[key] = kept;
            }
        }
    }

    private void Close(Pending p)
    {
        if (p.Count > 0)
        {
            _ready.Add(p.Complete());
            _count--;
        }
    }

    private void Emit(Event evt, in LineOrigin origin, uint count, DateTime last)
    {
        opened?.Invoke(origin);
        evt.UpstreamError.Count = count;
        evt.UpstreamError.LastTime = Timestamp.FromDateTime(last);
        evt.Source = origin.ToSourceRef();
        _ready.Add(evt);
    }

    private static Event Create(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, DateTime at)
    {
        var error = new UpstreamError
        {
            Cause = classification.Cause,
            Phase = line.Phase,
            Target = ResolveTarget(line),
            Server = Encoding.UTF8.GetString(line.Server),
            Client = Encoding.UTF8.GetString(line.Client),
            Request = Encoding.UTF8.GetString(line.Request),
            Host = Encoding.UTF8.GetString(line.Host),
            Errno = line.Errno,
            Level = line.Level.ToString().ToLowerInvariant(),
            Status = classification.Status,
            FirstTime = Timestamp.FromDateTime(at),
            Raw = Encoding.UTF8.GetString(raw.Length > MaxRawBytes ? raw[..MaxRawBytes] : raw),
            UpstreamUrl = Encoding.UTF8.GetString(line.Upstream),
        };
        return new Event { Time = Timestamp.FromDateTime(at), UpstreamError = error };
    }

    private static UpstreamTarget? ResolveTarget(in NginxErrorLine line)
    {
        var target = UpstreamTargetParser.Parse(line.Upstream);
        if (target is not null)
        {
            return target;
        }

        var msg = line.Message;
        if (msg.StartsWith("connect() to "u8) && msg.EndsWith(" failed"u8))
        {
            return UpstreamTargetParser.Parse(msg["connect() to "u8.Length..^" failed"u8.Length]);
        }

        return null;
    }

    private static DateTime? ToUtc(DateTime? local)
    {
        if (local is not { } t)
        {
            return null;
        }

        // error.log has local time without a zone; a time inside a DST gap cannot be converted.
        var zone = TimeZoneInfo.Local;
        return zone.IsInvalidTime(t) ? DateTime.SpecifyKind(t - zone.BaseUtcOffset, DateTimeKind.Utc) : TimeZoneInfo.ConvertTimeToUtc(t, zone);
    }

    /// <summary>One key's group for one second of the log; empty (Count 0) until its second error.</summary>
    private sealed class FileClock(DateTime second)
    {
        public DateTime Second { get; set; } = second;

        public long LastArrival { get; set; }
    }

    private sealed class Pending(bool unix, ulong device, ulong inode, byte[] peer, byte[] server, DateTime second)
    {
        private Event? _event;
        private LineOrigin _first;

        public bool Unix { get; } = unix;
        public ulong Device { get; } = device;
        public ulong Inode { get; } = inode;
        public byte[] Peer { get; } = peer;
        public byte[] Server { get; } = server;
        public DateTime Second { get; private set; } = second;
        public uint Count { get; set; }
        public DateTime Last { get; set; }
        public Pending? Next { get; set; }

        public void Open(Event evt, in LineOrigin first)
        {
            _event = evt;
            _first = first;
            Count = 1;
            Last = evt.Time.ToDateTime();
        }

        public void Restart(DateTime second)
        {
            Second = second;
            Count = 0;
            _event = null;
        }

        public Event Complete()
        {
            var evt = _event!;
            evt.UpstreamError.Count = Count;
            evt.UpstreamError.LastTime = Timestamp.FromDateTime(Last);
            evt.Source = _first.ToSourceRef();
            Count = 0;
            _event = null;
            return evt;
        }
    }
}
