using System.Text;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Folds identical (cause, upstream peer, server) errors seen within a short window into one event
/// with a count, first/last time and one raw sample, so an error storm stays cheap to ship. The key is
/// hashed from the line's bytes and compared against copies kept by the first error, so a repeated
/// error allocates nothing; the event is built once, when the key first appears.
/// </summary>
public sealed class UpstreamErrorCoalescer(TimeSpan window, TimeProvider time)
{
    private const int MaxRawBytes = 4096;
    private readonly Dictionary<ulong, Pending> _pending = [];
    private int _count;

    /// <summary>Number of coalesced events waiting for their window to close.</summary>
    public int PendingCount => _count;

    /// <summary>Adds one classified line (kept for callers that already hold a <see cref="SourceRef"/>).</summary>
    public void Add(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, SourceRef source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Add(line, classification, raw, new LineOrigin(source.Path, source.Device, source.Inode, source.Offset));
    }

    public void Add(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, in LineOrigin origin)
    {
        var peer = UpstreamPeerKey.Of(line, out var unix);
        var server = line.Server;
        var at = ToUtc(line.LocalTime) ?? time.GetUtcNow().UtcDateTime;

        var hash = new HashCode();
        hash.Add(unix);
        hash.AddBytes(peer);
        hash.Add(peer.Length);
        hash.AddBytes(server);
        var key = ((ulong)(uint)classification.Cause << 32) | (uint)hash.ToHashCode();

        Pending? head = null;
        if (_pending.TryGetValue(key, out head))
        {
            for (var p = head; p is not null; p = p.Next)
            {
                if (p.Unix == unix && p.Peer.AsSpan().SequenceEqual(peer) && p.Server.AsSpan().SequenceEqual(server))
                {
                    p.Count++;
                    if (at > p.Last)
                    {
                        p.Last = at;
                    }

                    p.LastOrigin = origin;
                    return;
                }
            }
        }

        var pending = new Pending(Create(line, classification, raw, at), unix, peer.ToArray(), server.ToArray(), time.GetTimestamp())
        {
            Last = at,
            LastOrigin = origin,
            Next = head,
        };
        _pending[key] = pending;
        _count++;
    }

    /// <summary>Takes the events whose window has closed (all of them when <paramref name="all"/>).</summary>
    public void Drain(List<Event> into, bool all = false)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (_count == 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        foreach (var (key, head) in _pending)
        {
            Pending? kept = null;
            for (var p = head; p is not null;)
            {
                var next = p.Next;
                if (all || time.GetElapsedTime(p.OpenedAt, now) >= window)
                {
                    into.Add(p.Complete());
                    _count--;
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
            else
            {
                _pending[key] = kept;
            }
        }
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

    private sealed class Pending(Event evt, bool unix, byte[] peer, byte[] server, long openedAt)
    {
        public bool Unix { get; } = unix;
        public byte[] Peer { get; } = peer;
        public byte[] Server { get; } = server;
        public long OpenedAt { get; } = openedAt;
        public uint Count { get; set; } = 1;
        public DateTime Last { get; set; }
        public LineOrigin LastOrigin { get; set; }
        public Pending? Next { get; set; }

        public Event Complete()
        {
            var e = evt.UpstreamError;
            e.Count = Count;
            e.LastTime = Timestamp.FromDateTime(Last);
            evt.Source = new SourceRef { Path = LastOrigin.Path ?? "", Device = LastOrigin.Device, Inode = LastOrigin.Inode, Offset = LastOrigin.Offset };
            return evt;
        }
    }
}
