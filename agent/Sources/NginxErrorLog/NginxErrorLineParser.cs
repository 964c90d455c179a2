using System.Buffers.Text;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Parses nginx error.log lines (ngx_log_error_core's grammar) on raw UTF-8 bytes:
/// <c>[prefix ]YYYY/MM/DD HH:MM:SS [level] PID#TID: *CID message[ (errno: text)][ while phase][, client: ...]</c>.
/// Container and syslog prefixes before the timestamp are skipped; stderr <c>nginx: [emerg]</c>
/// lines and pasted fragments without a prefix still yield their message and context.
/// </summary>
public static class NginxErrorLineParser
{
    // A prefix longer than this is not a container/syslog decoration but a different format.
    private const int MaxPrefixScan = 256;

    private static ReadOnlySpan<byte> ClientMarker => ", client: "u8;
    private static ReadOnlySpan<byte> UdpClientMarker => ", udp client: "u8;
    private static ReadOnlySpan<byte> BytesMarker => ", bytes from/to "u8;
    private static ReadOnlySpan<byte> ServerMarker => ", server: "u8;
    private static ReadOnlySpan<byte> RequestMarker => ", request: \""u8;
    private static ReadOnlySpan<byte> SubrequestMarker => ", subrequest: \""u8;
    private static ReadOnlySpan<byte> UpstreamMarker => ", upstream: \""u8;
    private static ReadOnlySpan<byte> HostMarker => ", host: \""u8;
    private static ReadOnlySpan<byte> ReferrerMarker => ", referrer: \""u8;
    private static ReadOnlySpan<byte> WhileMarker => " while "u8;

    /// <summary>
    /// Splits <paramref name="line"/> into its parts. Returns false (never throws) when the line
    /// has no message at all; any other line parses, with the parts it has.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out NginxErrorLine parsed)
    {
        parsed = default;
        parsed.ConnectionId = -1;
        line = line.TrimEnd("\r\n"u8);
        if (line.IsEmpty)
        {
            return false;
        }

        var rest = SkipPrefix(line, ref parsed);
        rest = ParseProcessIds(rest, ref parsed);
        if (rest.IsEmpty)
        {
            return false;
        }

        ParseMessageAndContext(rest, ref parsed);
        return !parsed.Message.IsEmpty;
    }

    private static ReadOnlySpan<byte> SkipPrefix(ReadOnlySpan<byte> line, scoped ref NginxErrorLine parsed)
    {
        var limit = Math.Min(line.Length - 19, MaxPrefixScan);
        for (var i = 0; i <= limit; i++)
        {
            // The cheapest test first: every nginx timestamp has '/' at +4 and +7.
            if (line[i + 4] == (byte)'/' && line[i + 7] == (byte)'/' && TryParseTimestamp(line.Slice(i, 19), out var time))
            {
                parsed.LocalTime = time;
                var afterTime = line[(i + 19)..].TrimStart((byte)' ');
                return ParseLevel(afterTime, ref parsed);
            }
        }

        // No timestamp: "nginx: [emerg] ...", "[error] 7#7: ...", or a bare pasted message.
        var bracket = line.Length > MaxPrefixScan ? line[..MaxPrefixScan].IndexOf((byte)'[') : line.IndexOf((byte)'[');
        if (bracket >= 0)
        {
            var candidate = line[bracket..];
            var levelEnd = candidate.IndexOf((byte)']');
            if (levelEnd > 0 && ToLevel(candidate[1..levelEnd]) != NginxLogLevel.Unknown)
            {
                return ParseLevel(candidate, ref parsed);
            }
        }

        return line;
    }

    private static ReadOnlySpan<byte> ParseLevel(ReadOnlySpan<byte> s, scoped ref NginxErrorLine parsed)
    {
        if (s.Length > 2 && s[0] == (byte)'[')
        {
            var end = s.IndexOf((byte)']');
            if (end > 0)
            {
                parsed.Level = ToLevel(s[1..end]);
                return s[(end + 1)..].TrimStart((byte)' ');
            }
        }

        return s;
    }

    private static ReadOnlySpan<byte> ParseProcessIds(ReadOnlySpan<byte> s, scoped ref NginxErrorLine parsed)
    {
        // "1258#1258: " (Windows and FreeBSD use other tids, builds without threads print 0).
        var hash = s.IndexOf((byte)'#');
        if (hash > 0 && hash <= 10 && Utf8Parser.TryParse(s[..hash], out int pid, out var pidLen) && pidLen == hash)
        {
            var afterHash = s[(hash + 1)..];
            if (Utf8Parser.TryParse(afterHash, out long tid, out var tidLen)
                && afterHash.Length > tidLen && afterHash[tidLen] == (byte)':')
            {
                parsed.Pid = pid;
                parsed.Tid = tid;
                s = afterHash[(tidLen + 1)..].TrimStart((byte)' ');
            }
        }

        if (s.Length > 1 && s[0] == (byte)'*' && Utf8Parser.TryParse(s[1..], out long cid, out var cidLen))
        {
            parsed.ConnectionId = cid;
            s = s[(1 + cidLen)..].TrimStart((byte)' ');
        }

        return s;
    }

    private static void ParseMessageAndContext(ReadOnlySpan<byte> s, scoped ref NginxErrorLine parsed)
    {
        var contextStart = s.IndexOf(ClientMarker);
        var udp = s.IndexOf(UdpClientMarker);
        if (udp >= 0 && (contextStart < 0 || udp < contextStart))
        {
            // Stream UDP sessions write ", udp client: "; treat it as the client field.
            contextStart = udp;
            parsed.IsStream = true;
        }

        if (contextStart < 0)
        {
            contextStart = s.IndexOf(ServerMarker);
        }

        var head = contextStart >= 0 ? s[..contextStart] : s;
        if (contextStart >= 0)
        {
            parsed.HasContext = true;
            ParseContext(s[contextStart..], ref parsed);
        }

        var whileAt = head.LastIndexOf(WhileMarker);
        if (whileAt >= 0)
        {
            parsed.PhaseText = head[(whileAt + WhileMarker.Length)..];
            parsed.Phase = ToPhase(parsed.PhaseText);
            head = head[..whileAt];
        }

        head = ParseErrno(head, ref parsed);
        parsed.Message = head.TrimEnd((byte)' ');
    }

    private static ReadOnlySpan<byte> ParseErrno(ReadOnlySpan<byte> head, scoped ref NginxErrorLine parsed)
    {
        // " (111: Connection refused)" is the last parenthesis group of the message, if any.
        // Truncated lines put "..." before it; nginx writes the number, so match on that.
        var open = head.LastIndexOf(" ("u8);
        if (open < 0)
        {
            return head;
        }

        var inner = head[(open + 2)..];
        if (!Utf8Parser.TryParse(inner, out int errno, out var len) || len == 0 || inner.Length <= len || inner[len] != (byte)':')
        {
            return head;
        }

        var close = inner.LastIndexOf((byte)')');
        parsed.Errno = errno;
        parsed.ErrnoText = close > len + 1 ? inner[(len + 1)..close].Trim((byte)' ') : inner[(len + 1)..].Trim((byte)' ');
        return head[..open];
    }

    private static void ParseContext(ReadOnlySpan<byte> ctx, scoped ref NginxErrorLine parsed)
    {
        // The fields come in a fixed order (ngx_http_log_error_handler); each runs to the next
        // marker found. Values are not escaped by nginx, so a quote inside one is kept as is.
        var cursor = 0;
        parsed.Client = TakeField(ctx, ref cursor, parsed.IsStream ? UdpClientMarker : ClientMarker, quoted: false);
        parsed.Server = TakeField(ctx, ref cursor, ServerMarker, quoted: false);
        parsed.Request = TakeField(ctx, ref cursor, RequestMarker, quoted: true);
        _ = TakeField(ctx, ref cursor, SubrequestMarker, quoted: true);
        parsed.Upstream = TakeField(ctx, ref cursor, UpstreamMarker, quoted: true);
        parsed.Host = TakeField(ctx, ref cursor, HostMarker, quoted: true);
        parsed.Referrer = TakeField(ctx, ref cursor, ReferrerMarker, quoted: true);

        // Stream lines end with byte counters and name the peer without a scheme ("10.0.0.1:3306").
        if (ctx.IndexOf(BytesMarker) >= 0 || (!parsed.Upstream.IsEmpty && parsed.Upstream.IndexOf("://"u8) < 0))
        {
            parsed.IsStream = true;
        }
    }

    private static ReadOnlySpan<byte> TakeField(ReadOnlySpan<byte> ctx, scoped ref int cursor, ReadOnlySpan<byte> marker, bool quoted)
    {
        var remaining = ctx[cursor..];
        var at = remaining.IndexOf(marker);
        if (at < 0)
        {
            return default;
        }

        var valueStart = at + marker.Length;
        var value = remaining[valueStart..];
        var end = NextMarker(value);
        var field = end >= 0 ? value[..end] : value;
        cursor += valueStart + field.Length;
        if (quoted)
        {
            // Closing quote; a field cut by the 2048-byte limit may have none.
            if (!field.IsEmpty && field[^1] == (byte)'"')
            {
                field = field[..^1];
            }
        }
        else
        {
            field = field.TrimEnd(" ,"u8);
        }

        return field;
    }

    private static int NextMarker(ReadOnlySpan<byte> value)
    {
        // Any ", <name>: " of the context grammar ends the current value.
        var best = -1;
        var search = value;
        var offset = 0;
        while (true)
        {
            var comma = search.IndexOf(", "u8);
            if (comma < 0)
            {
                return best;
            }

            var after = search[(comma + 2)..];
            if (after.StartsWith("server: "u8) || after.StartsWith("request: \""u8) || after.StartsWith("subrequest: \""u8)
                || after.StartsWith("upstream: \""u8) || after.StartsWith("host: \""u8) || after.StartsWith("referrer: \""u8)
                || after.StartsWith("bytes from/to "u8))
            {
                return offset + comma;
            }

            offset += comma + 2;
            search = after;
        }
    }

    private static bool TryParseTimestamp(ReadOnlySpan<byte> s, out DateTime time)
    {
        time = default;
        // "2023/10/20 09:37:22"
        if (s[10] != (byte)' ' || s[13] != (byte)':' || s[16] != (byte)':')
        {
            return false;
        }

        if (!TryDigitsNonZero(s[..4], out var year) || !TryDigitsNonZero(s.Slice(5, 2), out var month) || !TryDigitsNonZero(s.Slice(8, 2), out var day)
            || !TryDigitsNonZero(s.Slice(11, 2), out var hour) || !TryDigitsNonZero(s.Slice(14, 2), out var minute) || !TryDigitsNonZero(s.Slice(17, 2), out var second))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        time = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified);
        return true;
    }


    // "00" is a valid minute, "0000" is no year.
    private static bool TryDigitsNonZero(ReadOnlySpan<byte> s, out int value) =>
        Utf8Scan.TryDigits(s, out value) && (value > 0 || s.Length == 2);

    internal static NginxLogLevel ToLevel(ReadOnlySpan<byte> s) => s switch
    {
        _ when s.SequenceEqual("error"u8) => NginxLogLevel.Error,
        _ when s.SequenceEqual("crit"u8) => NginxLogLevel.Crit,
        _ when s.SequenceEqual("warn"u8) => NginxLogLevel.Warn,
        _ when s.SequenceEqual("alert"u8) => NginxLogLevel.Alert,
        _ when s.SequenceEqual("emerg"u8) => NginxLogLevel.Emerg,
        _ when s.SequenceEqual("notice"u8) => NginxLogLevel.Notice,
        _ when s.SequenceEqual("info"u8) => NginxLogLevel.Info,
        _ when s.SequenceEqual("debug"u8) => NginxLogLevel.Debug,
        _ => NginxLogLevel.Unknown,
    };

    internal static Phase ToPhase(ReadOnlySpan<byte> s)
    {
        if (s.StartsWith("connecting to upstream"u8))
        {
            return Phase.Connect;
        }

        if (s.StartsWith("reading response header from upstream"u8))
        {
            return Phase.ReadHeader;
        }

        if (s.StartsWith("reading upstream"u8) || s.StartsWith("proxying and reading from upstream"u8))
        {
            return Phase.ReadBody;
        }

        if (s.StartsWith("sending request to upstream"u8) || s.StartsWith("sending to upstream"u8))
        {
            return Phase.SendRequest;
        }

        if (s.StartsWith("SSL handshaking to upstream"u8))
        {
            return Phase.TlsHandshake;
        }

        return Phase.Other;
    }
}
