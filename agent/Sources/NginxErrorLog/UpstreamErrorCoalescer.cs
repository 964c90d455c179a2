using System.Text;
using Fleet502.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Folds identical (cause, upstream, server) errors seen within a short window into one event
/// with a count, first/last time and one raw sample, so an error storm stays cheap to ship.
/// </summary>
public sealed class UpstreamErrorCoalescer(TimeSpan window, TimeProvider time)
{
    private const int MaxRawBytes = 4096;
    private readonly Dictionary<(Cause, string, string), Pending> _pending = [];

    /// <summary>Number of errors waiting for their window to close.</summary>
    public int PendingCount => _pending.Count;

    public void Add(in NginxErrorLine line, Classification classification, ReadOnlySpan<byte> raw, SourceRef source)
    {
        var target = ResolveTarget(line);
        var address = target?.Address ?? "";
        var server = Encoding.UTF8.GetString(line.Server);
        var at = ToUtc(line.LocalTime) ?? time.GetUtcNow().UtcDateTime;
        var key = (classification.Cause, address, server);
        if (_pending.TryGetValue(key, out var pending))
        {
            var e = pending.Event.UpstreamError;
            e.Count++;
            e.LastTime = Timestamp.FromDateTime(at);
            pending.Event.Source = source;
            return;
        }

        var error = new UpstreamError
        {
            Cause = classification.Cause,
            Phase = line.Phase,
            Target = target,
            Server = server,
            Client = Encoding.UTF8.GetString(line.Client),
            Request = Encoding.UTF8.GetString(line.Request),
            Host = Encoding.UTF8.GetString(line.Host),
            Errno = line.Errno,
            Level = line.Level.ToString().ToLowerInvariant(),
            Status = classification.Status,
            Count = 1,
            FirstTime = Timestamp.FromDateTime(at),
            LastTime = Timestamp.FromDateTime(at),
            Raw = Encoding.UTF8.GetString(raw.Length > MaxRawBytes ? raw[..MaxRawBytes] : raw),
            UpstreamUrl = Encoding.UTF8.GetString(line.Upstream),
        };
        var evt = new Event { Time = Timestamp.FromDateTime(at), Source = source, UpstreamError = error };
        _pending[key] = new Pending(evt, time.GetTimestamp());
    }

    /// <summary>Takes the events whose window has closed (all of them when <paramref name="all"/>).</summary>
    public void Drain(List<Event> into, bool all = false)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        foreach (var (key, pending) in _pending)
        {
            if (all || time.GetElapsedTime(pending.OpenedAt, now) >= window)
            {
                into.Add(pending.Event);
                _pending.Remove(key);
            }
        }
    }

    private static UpstreamTarget? ResolveTarget(in NginxErrorLine line)
    {
        var target = UpstreamTargetParser.Parse(line.Upstream);
        if (target is not null)
        {
            return target;
        }

        // Truncated lines may lack the context; "connect() to unix:/x.sock failed" still names the target.
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

    private sealed record Pending(Event Event, long OpenedAt);
}
