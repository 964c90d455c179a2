namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// Reads the request time nginx logs, without allocating: <c>$time_local</c>
/// (<c>30/Mar/2024:18:21:21 +0000</c>), <c>$time_iso8601</c> (<c>2024-03-30T18:21:21+00:00</c>)
/// and <c>$msec</c> (<c>1711822881.123</c>), as Unix seconds (UTC).
/// </summary>
public static class AccessTime
{
    public static bool TryParseLocal(ReadOnlySpan<byte> s, out long unixSeconds)
    {
        unixSeconds = 0;
        // dd/Mon/yyyy:HH:mm:ss +zzzz
        if (s.Length != 26 || s[2] != (byte)'/' || s[6] != (byte)'/' || s[11] != (byte)':' || s[20] != (byte)' ')
        {
            return false;
        }

        var month = Month(s.Slice(3, 3));
        if (month == 0
            || !Digits(s[..2], out var day) || !Digits(s.Slice(7, 4), out var year)
            || !Digits(s.Slice(12, 2), out var hour) || !Digits(s.Slice(15, 2), out var minute) || !Digits(s.Slice(18, 2), out var second)
            || !Digits(s.Slice(22, 2), out var offH) || !Digits(s.Slice(24, 2), out var offM))
        {
            return false;
        }

        var sign = s[21] == (byte)'-' ? -1 : s[21] == (byte)'+' ? 1 : 0;
        return sign != 0 && Compose(year, month, day, hour, minute, second, sign * (offH * 3600 + offM * 60), out unixSeconds);
    }

    public static bool TryParseIso8601(ReadOnlySpan<byte> s, out long unixSeconds)
    {
        unixSeconds = 0;
        // yyyy-MM-ddTHH:mm:ss+zz:zz (nginx never prints fractions here; "Z" accepted for other writers)
        if (s.Length < 19 || s[4] != (byte)'-' || s[7] != (byte)'-' || s[10] != (byte)'T' || s[13] != (byte)':' || s[16] != (byte)':')
        {
            return false;
        }

        if (!Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)
            || !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        var zone = s[19..];
        var offset = 0;
        if (zone.Length == 1 && zone[0] == (byte)'Z')
        {
            offset = 0;
        }
        else if (zone.Length == 6 && zone[3] == (byte)':' && zone[0] is (byte)'+' or (byte)'-'
            && Digits(zone.Slice(1, 2), out var offH) && Digits(zone.Slice(4, 2), out var offM))
        {
            offset = (zone[0] == (byte)'-' ? -1 : 1) * (offH * 3600 + offM * 60);
        }
        else
        {
            return false;
        }

        return month is >= 1 and <= 12 && Compose(year, month, day, hour, minute, second, offset, out unixSeconds);
    }

    public static bool TryParseMsec(ReadOnlySpan<byte> s, out long unixSeconds)
    {
        unixSeconds = 0;
        var dot = s.IndexOf((byte)'.');
        var whole = dot < 0 ? s : s[..dot];
        if (whole.Length is < 9 or > 11)
        {
            return false;
        }

        foreach (var b in whole)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }

            unixSeconds = unixSeconds * 10 + (b - '0');
        }

        return true;
    }

    private static bool Compose(int year, int month, int day, int hour, int minute, int second, int offsetSeconds, out long unixSeconds)
    {
        unixSeconds = 0;
        if (day is < 1 or > 31 || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        unixSeconds = DaysFromCivil(year, month, day) * 86400L + hour * 3600 + minute * 60 + second - offsetSeconds;
        return true;
    }

    // Howard Hinnant's days_from_civil: no DateTime, no tables.
    private static long DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097L + doe - 719468;
    }

    private static bool Digits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }

            value = value * 10 + (b - '0');
        }

        return true;
    }

    private static int Month(ReadOnlySpan<byte> m)
    {
        // Case-sensitive like nginx prints them; one switch on the packed three bytes.
        var key = (m[0] << 16) | (m[1] << 8) | m[2];
        return key switch
        {
            ('J' << 16) | ('a' << 8) | 'n' => 1,
            ('F' << 16) | ('e' << 8) | 'b' => 2,
            ('M' << 16) | ('a' << 8) | 'r' => 3,
            ('A' << 16) | ('p' << 8) | 'r' => 4,
            ('M' << 16) | ('a' << 8) | 'y' => 5,
            ('J' << 16) | ('u' << 8) | 'n' => 6,
            ('J' << 16) | ('u' << 8) | 'l' => 7,
            ('A' << 16) | ('u' << 8) | 'g' => 8,
            ('S' << 16) | ('e' << 8) | 'p' => 9,
            ('O' << 16) | ('c' << 8) | 't' => 10,
            ('N' << 16) | ('o' << 8) | 'v' => 11,
            ('D' << 16) | ('e' << 8) | 'c' => 12,
            _ => 0,
        };
    }
}
