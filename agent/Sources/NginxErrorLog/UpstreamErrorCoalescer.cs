using System.Text;
using System.Text.Unicode;
using Fleet502.Agent.Platform;
using Fleet502.Agent.Shipping;
using Fleet502.Protos.V1;

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
/// first line, and the collector can drop the ones it already holds.
/// <para>
/// Nothing here allocates per line in steady state: group state lives in a reused array of structs,
/// keyed by a hash of the line's bytes and compared against copies in the group's reused buffer, and
/// events are written once, as protobuf, straight from the line's bytes into pooled
/// <see cref="EncodedEvent"/>s; a folded event keeps its sample written and open until its count is known.
/// </para>
/// </summary>
public sealed class UpstreamErrorCoalescer(TimeSpan window, TimeProvider time, Action<LineOrigin>? opened = null)
{
    private const int MaxRawBytes = 4096;
    // Tags, lengths, varints, timestamps, the level and the count/last-time added at the end.
    private const int FixedOverhead = 192;
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;
    private readonly Dictionary<(ulong Device, ulong Inode), FileGroups> _files = [];
    private readonly List<EncodedEvent> _ready = [];
    private Group[] _groups = new Group[64];
    private int _used;
    private int _free = -1;
    private int _count;
    private byte[] _address = new byte[256];
    private string? _path;
    private byte[] _pathBytes = [];
    private DateTime _lastLocal = DateTime.MinValue;
    private DateTime _lastUtc;

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
            EmitNow(line, classification, raw, at, origin);
            return;
        }

        var peer = UpstreamPeerKey.Of(line, out var unix);
        var server = line.Server;
        var hash = new HashCode();
        hash.Add(unix);
        hash.AddBytes(peer);
        hash.Add(peer.Length);
        hash.AddBytes(server);
        var key = ((ulong)(uint)classification.Cause << 32) | (uint)hash.ToHashCode();
        var second = line.LocalTime.Value;
        var fileKey = (origin.Device, origin.Inode);
        if (!_files.TryGetValue(fileKey, out var file))
        {
            _files[fileKey] = file = new FileGroups(second);
        }
        else if (second > file.Second)
        {
            // The file has moved on to a later second: every group of this file is complete.
            CloseAll(file);
            file.Second = second;
        }

        file.LastArrival = time.GetTimestamp();
        var found = file.Heads.TryGetValue(key, out var head);
        for (var i = found ? head : -1; i >= 0; i = _groups[i].Next)
        {
            ref var g = ref _groups[i];
            if (g.Cause != classification.Cause || g.Unix != unix || !g.Peer.SequenceEqual(peer) || !g.Server.SequenceEqual(server))
            {
                continue;
            }

            if (g.Second == second)
            {
                if (g.Count == 0)
                {
                    // The second error of this second opens the folded event: its sample is written now.
                    g.Event = Begin(line, classification, raw, at, origin, out g.Mark, out g.Position);
                    opened?.Invoke(origin);
                    g.Count = 1;
                    g.Last = at;
                    _count++;
                }
                else
                {
                    g.Count++;
                    if (at > g.Last)
                    {
                        g.Last = at;
                    }
                }

                return;
            }

            // Another second for this key (an older line from a slower worker): a new group.
            Close(ref g);
            g.Second = second;
            EmitNow(line, classification, raw, at, origin);
            return;
        }

        var index = NewGroup(classification.Cause, unix, peer, server, second, found ? head : -1);
        file.Heads[key] = index;
        file.Members.Add(index);
        EmitNow(line, classification, raw, at, origin);
    }

    /// <summary>
    /// Takes the events ready to send: first errors, completed seconds, and the groups of files
    /// quiet for the window (all of them when <paramref name="all"/>). The caller owns them.
    /// </summary>
    public void Drain(List<EncodedEvent> into, bool all = false)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (_files.Count > 0)
        {
            var now = time.GetTimestamp();
            foreach (var (key, file) in _files)
            {
                if (all || time.GetElapsedTime(file.LastArrival, now) >= window)
                {
                    CloseAll(file);
                    _files.Remove(key);
                }
            }
        }

        into.AddRange(_ready);
        _ready.Clear();
    }

    private void CloseAll(FileGroups file)
    {
        // In the order the groups were made: the events leave in the order of their first lines.
        foreach (var index in file.Members)
        {
            ref var g = ref _groups[index];
            Close(ref g);
            g.Next = _free;
            _free = index;
        }

        file.Members.Clear();
        file.Heads.Clear();
    }

    private int NewGroup(Cause cause, bool unix, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> server, DateTime second, int next)
    {
        int index;
        if (_free >= 0)
        {
            index = _free;
            _free = _groups[index].Next;
        }
        else
        {
            if (_used == _groups.Length)
            {
                Array.Resize(ref _groups, _groups.Length * 2);
            }

            index = _used++;
        }

        ref var g = ref _groups[index];
        g.Cause = cause;
        g.Unix = unix;
        g.SetKeyBytes(peer, server);
        g.Second = second;
        g.Count = 0;
        g.Event = null;
        g.Next = next;
        return index;
    }

    private void Close(ref Group g)
    {
        if (g.Count == 0 || g.Event is not { } evt)
        {
            return;
        }

        var writer = new ProtoWriter(evt.Fields(g.Position + 32), g.Position);
        writer.UInt64(11, g.Count);
        WriteTimestamp(ref writer, 13, g.Last);
        writer.EndMessage(g.Mark);
        evt.SetLength(writer.Position);
        _ready.Add(evt);
        g.Event = null;
        g.Count = 0;
        _count--;
    }

    private void EmitNow(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, DateTime at, in LineOrigin origin)
    {
        opened?.Invoke(origin);
        var evt = Begin(line, classification, raw, at, origin, out var mark, out var position);
        var writer = new ProtoWriter(evt.Fields(position + 32), position);
        writer.UInt64(11, 1);
        WriteTimestamp(ref writer, 13, at);
        writer.EndMessage(mark);
        evt.SetLength(writer.Position);
        _ready.Add(evt);
    }

    /// <summary>
    /// Writes an event for <paramref name="line"/>: time, source and every UpstreamError field but the
    /// count and last time, which go after <paramref name="position"/>; <paramref name="mark"/> closes it.
    /// </summary>
    private EncodedEvent Begin(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, DateTime at, in LineOrigin origin,
        out int mark, out int position)
    {
        var sample = raw.Length > MaxRawBytes ? raw[..MaxRawBytes] : raw;
        var hasTarget = ResolveTarget(line, out var target);
        var address = hasTarget ? FormatAddress(target) : default;
        var path = PathBytes(origin.Path);
        var text = line.Server.Length + line.Client.Length + line.Request.Length + line.Host.Length + line.Upstream.Length
                   + sample.Length + path.Length + target.Scheme.Length + target.Host.Length + target.UnixPath.Length + address.Length;
        // One check for the whole line: its fields are slices cut at ASCII bytes, so they are valid when it is.
        // Invalid input takes the per-field path, which writes U+FFFD as Encoding.UTF8 decodes it.
        var valid = Utf8.IsValid(raw);
        var evt = EncodedEventPool.Rent();
        evt.Source = new SourcePosition(new FileIdentity(origin.Device, origin.Inode), origin.Generation, origin.Offset);
        var writer = new ProtoWriter(evt.Fields(FixedOverhead + (valid ? text : ProtoWriter.MaxUtf8Bytes(text))));
        WriteTimestamp(ref writer, 2, at);

        var source = writer.BeginMessage(3);
        writer.Utf8(1, path);
        writer.UInt64(2, origin.Device);
        writer.UInt64(3, origin.Inode);
        writer.Int64(4, origin.Offset);
        writer.UInt64(5, origin.Generation);
        writer.EndMessage(source);

        mark = writer.BeginMessage(11);
        writer.Int64(1, (int)classification.Cause);
        writer.Int64(2, (int)line.Phase);
        if (hasTarget)
        {
            var t = writer.BeginMessage(3);
            WriteString(ref writer, 1, target.Scheme, valid);
            WriteString(ref writer, 2, address, valid);
            WriteString(ref writer, 3, target.Host, valid);
            writer.UInt64(4, target.Port);
            WriteString(ref writer, 5, target.UnixPath, valid);
            writer.Bool(6, target.IsGroup);
            writer.EndMessage(t);
        }

        WriteString(ref writer, 4, line.Server, valid);
        WriteString(ref writer, 5, line.Client, valid);
        WriteString(ref writer, 6, line.Request, valid);
        WriteString(ref writer, 7, line.Host, valid);
        writer.Int64(8, line.Errno);
        writer.ValidUtf8(9, LevelName(line.Level));
        writer.Int64(10, classification.Status);
        WriteTimestamp(ref writer, 12, at);
        // The sample may end inside a character when the line was cut: check it.
        WriteString(ref writer, 14, sample, valid && sample.Length == raw.Length);
        WriteString(ref writer, 15, line.Upstream, valid);
        position = writer.Position;
        evt.SetLength(position);
        return evt;
    }

    private static void WriteString(ref ProtoWriter writer, int field, scoped ReadOnlySpan<byte> value, bool valid)
    {
        if (valid)
        {
            writer.ValidUtf8(field, value);
        }
        else
        {
            writer.Utf8(field, value);
        }
    }

    private ReadOnlySpan<byte> FormatAddress(in UpstreamTargetSpans target)
    {
        var length = target.AddressLength;
        if (_address.Length < length)
        {
            _address = new byte[Math.Max(length, _address.Length * 2)];
        }

        return _address.AsSpan(0, target.FormatAddress(_address));
    }

    private ReadOnlySpan<byte> PathBytes(string? path)
    {
        if (!ReferenceEquals(path, _path))
        {
            // One file's lines share its path string: encode it once per file, not per event.
            _path = path;
            _pathBytes = path is null ? [] : Encoding.UTF8.GetBytes(path);
        }

        return _pathBytes;
    }

    private static bool ResolveTarget(in NginxErrorLine line, out UpstreamTargetSpans target)
    {
        if (UpstreamTargetSpans.TryParse(line.Upstream, out target))
        {
            return true;
        }

        var msg = line.Message;
        return msg.StartsWith("connect() to "u8) && msg.EndsWith(" failed"u8)
               && UpstreamTargetSpans.TryParse(msg["connect() to "u8.Length..^" failed"u8.Length], out target);
    }

    private static ReadOnlySpan<byte> LevelName(NginxLogLevel level) => level switch
    {
        NginxLogLevel.Debug => "debug"u8,
        NginxLogLevel.Info => "info"u8,
        NginxLogLevel.Notice => "notice"u8,
        NginxLogLevel.Warn => "warn"u8,
        NginxLogLevel.Error => "error"u8,
        NginxLogLevel.Crit => "crit"u8,
        NginxLogLevel.Alert => "alert"u8,
        NginxLogLevel.Emerg => "emerg"u8,
        _ => "unknown"u8,
    };

    private static void WriteTimestamp(ref ProtoWriter writer, int field, DateTime utc)
    {
        var ticks = utc.Ticks - UnixEpochTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }

        writer.Timestamp(field, seconds, (int)(rest * 100));
    }

    private DateTime? ToUtc(DateTime? local)
    {
        if (local is not { } t)
        {
            return null;
        }

        if (t == _lastLocal)
        {
            // Lines of one second share it: convert once.
            return _lastUtc;
        }

        // error.log has local time without a zone; a time inside a DST gap cannot be converted.
        var zone = TimeZoneInfo.Local;
        _lastUtc = zone.IsInvalidTime(t) ? DateTime.SpecifyKind(t - zone.BaseUtcOffset, DateTimeKind.Utc) : TimeZoneInfo.ConvertTimeToUtc(t, zone);
        _lastLocal = t;
        return _lastUtc;
    }

    /// <summary>One file's open groups: by key hash (chained through <see cref="Group.Next"/>) and in creation order.</summary>
    private sealed class FileGroups(DateTime second)
    {
        public DateTime Second { get; set; } = second;

        public long LastArrival { get; set; }

        public Dictionary<ulong, int> Heads { get; } = [];

        public List<int> Members { get; } = [];
    }

    /// <summary>One key's group for one second of the log; empty (Count 0) until its second error.</summary>
    private struct Group
    {
        public Cause Cause;
        public bool Unix;
        public DateTime Second;
        public uint Count;
        public DateTime Last;
        public EncodedEvent? Event;
        public int Mark;
        public int Position;
        /// <summary>Next group with the same hash, or the next free slot; -1 ends the chain.</summary>
        public int Next;
        private byte[]? _key;
        private int _peerLength;
        private int _serverLength;

        public readonly ReadOnlySpan<byte> Peer => _key.AsSpan(0, _peerLength);

        public readonly ReadOnlySpan<byte> Server => _key.AsSpan(_peerLength, _serverLength);

        /// <summary>Copies the key's bytes into the slot's buffer, reused by the next group of the slot.</summary>
        public void SetKeyBytes(ReadOnlySpan<byte> peer, ReadOnlySpan<byte> server)
        {
            var length = peer.Length + server.Length;
            if (_key is null || _key.Length < length)
            {
                _key = new byte[Math.Max(64, length)];
            }

            peer.CopyTo(_key);
            server.CopyTo(_key.AsSpan(peer.Length));
            _peerLength = peer.Length;
            _serverLength = server.Length;
        }
    }
}
