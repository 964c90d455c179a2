using System.Buffers.Text;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// Parses HAProxy <c>option httplog</c> lines (catalogue section 6.2), with or without a syslog prefix:
/// <c>%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc ...</c>. The timers field anchors the
/// parse. Never throws; allocates nothing.
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

        return false;
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
