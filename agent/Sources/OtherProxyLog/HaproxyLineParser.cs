using System.Buffers.Text;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// Parses HAProxy <c>option httplog</c> lines (catalogue section 6.2), with or without a syslog prefix:
/// <c>%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc ...</c> (the timers field anchors the
/// parse), and JSON <c>log-format</c>s, whose key names are the user's: a key naming the termination state
/// (<c>termination_state</c>, <c>haproxy_terminationState</c>) and one naming the status code are required.
/// Never throws; allocates nothing.
/// </summary>
public static class HaproxyLineParser
{
    private const int MaxTokens = 40;

    public static bool TryParse(ReadOnlySpan<byte> line, out HaproxyLine parsed)
    {
        parsed = default;
        line = line.TrimEnd("\r\n"u8).Trim((byte)' ');
        Range previous = default;
        Range beforePrevious = default;
        var pos = 0;
        for (var i = 0; i < MaxTokens && Next(line, ref pos, out var token); i++)
        {
            if (IsTimers(line[token], out var tc, out var tr) && line[previous].IndexOf((byte)'/') > 0)
            {
                var backendServer = line[previous];
                var slash = backendServer.IndexOf((byte)'/');
                if (!Next(line, ref pos, out var status) || line[status].Length != 3 || !Utf8Scan.TryDigits(line[status], out var code)
                    || !Next(line, ref pos, out _) || !Next(line, ref pos, out _) || !Next(line, ref pos, out _)
                    || !Next(line, ref pos, out var tsc) || line[tsc].Length != 4)
                {
                    return false;
                }

                parsed.Backend = backendServer[..slash];
                parsed.Server = backendServer[(slash + 1)..];
                parsed.Frontend = line[beforePrevious];
                parsed.Timers = line[token];
                parsed.ConnectTime = tc;
                parsed.ResponseTime = tr;
                parsed.Status = code;
                parsed.TerminationState = line[tsc];
                parsed.Request = Utf8Scan.Between(line[pos..], "\""u8, "\""u8);
                return true;
            }

            beforePrevious = previous;
            previous = token;
        }

        return TryJson(line, ref parsed);
    }

    private static bool TryJson(ReadOnlySpan<byte> line, scoped ref HaproxyLine parsed)
    {
        var brace = line.IndexOf((byte)'{');
        if (brace < 0 || line[^1] != (byte)'}')
        {
            return false;
        }

        var json = line[brace..];
        var tsc = JsonValue(json, "ermination_state\""u8);
        if (tsc.IsEmpty)
        {
            tsc = JsonValue(json, "erminationState\""u8);
        }

        var status = JsonValue(json, "status_code\""u8);
        if (status.IsEmpty)
        {
            status = JsonValue(json, "statusCode\""u8);
        }

        if (tsc.Length is not (2 or 4) || status.Length != 3 || !Utf8Scan.TryDigits(status, out var code))
        {
            return false;
        }

        parsed.TerminationState = tsc;
        parsed.Status = code;
        parsed.Backend = JsonValue(json, "backend_name\""u8);
        parsed.Server = JsonValue(json, "server_name\""u8);
        parsed.Frontend = JsonValue(json, "frontend_name\""u8);
        return true;
    }

    // The value after the first key ending in keyTail (its closing quote included): a string without its
    // quotes, or a bare number.
    private static ReadOnlySpan<byte> JsonValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> keyTail)
    {
        var at = json.IndexOf(keyTail);
        if (at < 0)
        {
            return default;
        }

        var rest = json[(at + keyTail.Length)..].TrimStart((byte)' ');
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return default;
        }

        rest = rest[1..].TrimStart((byte)' ');
        if (!rest.IsEmpty && rest[0] == (byte)'"')
        {
            var end = rest[1..].IndexOf((byte)'"');
            return end >= 0 ? rest[1..(end + 1)] : default;
        }

        var stop = rest.IndexOfAny((byte)',', (byte)'}');
        return (stop >= 0 ? rest[..stop] : rest).Trim((byte)' ');
    }

    // "10/0/30/69/109", "0/0/3/-1/600004", "+109" for Ta with option logasap.
    private static bool IsTimers(ReadOnlySpan<byte> token, out int tc, out int tr)
    {
        tc = tr = 0;
        var parts = 0;
        while (!token.IsEmpty)
        {
            var slash = token.IndexOf((byte)'/');
            var part = slash < 0 ? token : token[..slash];
            if (part.Length > 0 && part[0] == (byte)'+')
            {
                part = part[1..];
            }

            if (!Utf8Parser.TryParse(part, out int value, out var used) || used != part.Length)
            {
                return false;
            }

            if (parts == 2)
            {
                tc = value;
            }
            else if (parts == 3)
            {
                tr = value;
            }

            parts++;
            token = slash < 0 ? default : token[(slash + 1)..];
        }

        return parts == 5;
    }

    private static bool Next(ReadOnlySpan<byte> s, ref int pos, out Range token)
    {
        while (pos < s.Length && s[pos] == (byte)' ')
        {
            pos++;
        }

        var start = pos;
        var space = s[pos..].IndexOf((byte)' ');
        pos = space < 0 ? s.Length : pos + space;
        token = start..pos;
        return pos > start;
    }
}
