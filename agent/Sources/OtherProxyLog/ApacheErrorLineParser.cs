namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// Parses Apache httpd error_log lines (catalogue section 6.3):
/// <c>[Day Mon DD HH:MM:SS.uuuuuu YYYY] [module:level] [pid P:tid T] (errno)Text: [client IP:port] AHnnnnn: message</c>,
/// and the 2.2 form <c>[Day Mon DD HH:MM:SS YYYY] [error] (111)Connection refused: proxy: HTTP: ...</c>.
/// Never throws; allocates nothing.
/// </summary>
public static class ApacheErrorLineParser
{
    public static bool TryParse(ReadOnlySpan<byte> line, out ApacheErrorLine parsed)
    {
        parsed = default;
        line = line.TrimEnd("\r\n"u8).Trim((byte)' ');
        // "[Sat Jul 08 17:40:54.742169 2017]": a weekday, a month and a 4-digit year in the first bracket.
        if (line.Length < 30 || line[0] != (byte)'[' || line[4] != (byte)' ' || !IsWeekday(line.Slice(1, 3)))
        {
            return false;
        }

        var close = line.IndexOf((byte)']');
        if (close < 24 || close > 40 || !IsYear(line.Slice(close - 4, 4)))
        {
            return false;
        }

        var rest = line[(close + 1)..].TrimStart((byte)' ');
        if (rest.IsEmpty || rest[0] != (byte)'[')
        {
            return false;
        }

        var end = rest.IndexOf((byte)']');
        if (end < 2)
        {
            return false;
        }

        var tag = rest[1..end];
        var colon = tag.IndexOf((byte)':');
        parsed.Module = colon >= 0 ? tag[..colon] : default;
        parsed.Level = colon >= 0 ? tag[(colon + 1)..] : tag;
        rest = rest[(end + 1)..].TrimStart((byte)' ');
        if (rest.StartsWith("[pid "u8))
        {
            var pidEnd = rest.IndexOf((byte)']');
            rest = pidEnd > 0 ? rest[(pidEnd + 1)..].TrimStart((byte)' ') : rest;
        }

        // "(111)Connection refused: "
        if (rest.Length > 2 && rest[0] == (byte)'(')
        {
            var paren = rest.IndexOf((byte)')');
            if (paren > 1 && Utf8Scan.TryDigits(rest[1..paren], out var errno))
            {
                parsed.Errno = errno;
                var text = rest[(paren + 1)..];
                var sep = text.IndexOf(": "u8);
                parsed.ErrnoText = sep >= 0 ? text[..sep] : text;
                rest = sep >= 0 ? text[(sep + 2)..] : default;
            }
        }

        if (rest.StartsWith("[client "u8))
        {
            var clientEnd = rest.IndexOf((byte)']');
            if (clientEnd > 8)
            {
                parsed.Client = rest[8..clientEnd];
                rest = rest[(clientEnd + 1)..].TrimStart((byte)' ');
            }
        }

        if (rest.Length > 8 && rest.StartsWith("AH"u8) && rest[7] == (byte)':' && Utf8Scan.TryDigits(rest[2..7], out var code))
        {
            parsed.Code = code;
            rest = rest[8..].TrimStart((byte)' ');
        }

        parsed.Message = rest;
        parsed.Backend = BackendOf(rest);
        return true;
    }

    private static ReadOnlySpan<byte> BackendOf(ReadOnlySpan<byte> m)
    {
        ReadOnlySpan<byte> found;
        if (!(found = Utf8Scan.Between(m, "Unix domain socket "u8, " "u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "attempt to connect to "u8, " "u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "from remote server "u8, ","u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "connection to backend: "u8, " "u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "disabling worker for ("u8, ")"u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "disabled connection for ("u8, ")"u8)).IsEmpty
            || !(found = Utf8Scan.Between(m, "Error dispatching request to "u8, ": "u8)).IsEmpty)
        {
            return found.TrimEnd((byte)':');
        }

        return default;
    }

    private static bool IsWeekday(ReadOnlySpan<byte> s) =>
        s.SequenceEqual("Mon"u8) || s.SequenceEqual("Tue"u8) || s.SequenceEqual("Wed"u8) || s.SequenceEqual("Thu"u8)
        || s.SequenceEqual("Fri"u8) || s.SequenceEqual("Sat"u8) || s.SequenceEqual("Sun"u8);

    private static bool IsYear(ReadOnlySpan<byte> s) => Utf8Scan.TryDigits(s, out var y) && y is > 1990 and < 2200;
}
