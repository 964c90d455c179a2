using System.Buffers.Text;

namespace Fleet502.Agent.Sources.PhpFpmLog;

/// <summary>
/// Parses php-fpm error-log lines on UTF-8 bytes: <c>[DD-Mon-YYYY HH:MM:SS] LEVEL: [pool P] message</c>,
/// the syslog form <c>php-fpm:  [LEVEL] func(), line N: [pool P] message</c>, CRI/Docker prefixes,
/// pastes without the timestamp, and slowlog entries. Never throws; allocates nothing.
/// </summary>
public static class PhpFpmLineParser
{
    private const int MaxPrefixScan = 256;

    public static bool TryParse(ReadOnlySpan<byte> line, out PhpFpmLine parsed)
    {
        parsed = default;
        line = line.TrimEnd("\r\n"u8).Trim((byte)' ');
        if (line.IsEmpty)
        {
            return false;
        }

        if (TrySlowlogBody(line, ref parsed))
        {
            return true;
        }

        var rest = SkipToTimestamp(line, ref parsed);
        rest = ParseLevel(rest, ref parsed);
        if (rest.StartsWith("[pool "u8))
        {
            var close = rest.IndexOf((byte)']');
            if (close > 6)
            {
                parsed.Pool = rest[6..close];
                rest = rest[(close + 1)..].TrimStart((byte)' ');
            }
        }

        parsed.Message = rest;
        if (parsed.Level == PhpFpmLevel.Unknown && parsed.Pool.IsEmpty && parsed.LocalTime is null)
        {
            // Nothing FPM-shaped: no level, no pool, no FPM timestamp.
            return false;
        }

        ParseMessage(rest, ref parsed);
        return true;
    }

    private static bool TrySlowlogBody(ReadOnlySpan<byte> line, scoped ref PhpFpmLine parsed)
    {
        if (line.StartsWith("script_filename = "u8))
        {
            parsed.Kind = PhpFpmEventKind.SlowlogScript;
            parsed.Script = line["script_filename = "u8.Length..];
            parsed.Message = line;
            return true;
        }

        // "[0x00007f5a1c2d3e40] curl_exec() /var/www/app/Http.php:88"
        if (line.StartsWith("[0x"u8) && line.IndexOf("] "u8) > 3)
        {
            parsed.Kind = PhpFpmEventKind.SlowlogFrame;
            parsed.Message = line[(line.IndexOf("] "u8) + 2)..];
            var space = parsed.Message.LastIndexOf((byte)' ');
            parsed.Script = space >= 0 ? parsed.Message[(space + 1)..] : default;
            return true;
        }

        return false;
    }

    private static ReadOnlySpan<byte> SkipToTimestamp(ReadOnlySpan<byte> line, scoped ref PhpFpmLine parsed)
    {
        // "[07-Apr-2021 12:06:02]" anywhere in the first bytes (CRI, Docker and compose prefixes come first).
        var limit = Math.Min(line.Length - 22, MaxPrefixScan);
        for (var i = 0; i <= limit; i++)
        {
            if (line[i] == (byte)'[' && line[i + 3] == (byte)'-' && line[i + 7] == (byte)'-' && line[i + 21] == (byte)']'
                && TryParseTimestamp(line.Slice(i + 1, 20), out var time))
            {
                parsed.LocalTime = time;
                return line[(i + 22)..].TrimStart((byte)' ');
            }
        }

        // Syslog: "Jun 11 09:22:42 host php-fpm:  [WARNING] fpm_children_bury(), line 252: ..."
        var syslog = line.Length > MaxPrefixScan ? line[..MaxPrefixScan].IndexOf("php-fpm"u8) : line.IndexOf("php-fpm"u8);
        if (syslog >= 0)
        {
            var after = line[syslog..];
            var bracket = after.IndexOf((byte)'[');
            if (bracket >= 0 && LevelOf(after[(bracket + 1)..], out _, out _))
            {
                return after[bracket..];
            }
        }

        return line;
    }

    private static ReadOnlySpan<byte> ParseLevel(ReadOnlySpan<byte> s, scoped ref PhpFpmLine parsed)
    {
        if (s.Length > 2 && s[0] == (byte)'[' && LevelOf(s[1..], out var level, out var len) && s.Length > len + 1 && s[len + 1] == (byte)']')
        {
            // Syslog form: "[WARNING] fpm_children_bury(), line 252: [pool www] ..."
            parsed.Level = level;
            s = s[(len + 2)..].TrimStart((byte)' ');
            var func = s.IndexOf("(), line "u8);
            if (func > 0 && func < 64)
            {
                var colon = s[func..].IndexOf(": "u8);
                if (colon > 0)
                {
                    s = s[(func + colon + 2)..];
                }
            }

            return s;
        }

        if (LevelOf(s, out level, out len) && s.Length > len && s[len] == (byte)':')
        {
            parsed.Level = level;
            return s[(len + 1)..].TrimStart((byte)' ');
        }

        return s;
    }

    private static bool LevelOf(ReadOnlySpan<byte> s, out PhpFpmLevel level, out int length)
    {
        (level, length) = s switch
        {
            _ when s.StartsWith("WARNING"u8) => (PhpFpmLevel.Warning, 7),
            _ when s.StartsWith("NOTICE"u8) => (PhpFpmLevel.Notice, 6),
            _ when s.StartsWith("ERROR"u8) => (PhpFpmLevel.Error, 5),
            _ when s.StartsWith("ALERT"u8) => (PhpFpmLevel.Alert, 5),
            _ when s.StartsWith("DEBUG"u8) => (PhpFpmLevel.Debug, 5),
            _ => (PhpFpmLevel.Unknown, 0),
        };
        return length > 0;
    }

    private static void ParseMessage(ReadOnlySpan<byte> m, scoped ref PhpFpmLine parsed)
    {
        if (m.StartsWith("server reached "u8) && m.IndexOf("max_children setting ("u8) > 0)
        {
            parsed.Kind = PhpFpmEventKind.MaxChildrenReached;
            parsed.Limit = IntAfter(m, "setting ("u8);
            return;
        }

        if (m.StartsWith("seems busy"u8))
        {
            parsed.Kind = PhpFpmEventKind.SeemsBusy;
            parsed.Limit = IntAfter(m, "spawning "u8);
            return;
        }

        if (m.StartsWith("child "u8))
        {
            ParseChild(m, ref parsed);
            return;
        }

        if (m.StartsWith("pid "u8) && !parsed.Pool.IsEmpty)
        {
            // Slowlog header: "[21-Nov-2013 14:30:38]  [pool www] pid 11877"
            parsed.Kind = PhpFpmEventKind.SlowlogEntry;
            parsed.Pid = IntAfter(m, "pid "u8);
            return;
        }

        if (m.StartsWith("The maximum number of processes has been reached"u8))
        {
            parsed.Kind = PhpFpmEventKind.ProcessMaxReached;
        }
        else if (m.StartsWith("failed processes threshold"u8))
        {
            parsed.Kind = PhpFpmEventKind.EmergencyRestart;
        }
        else if (m.StartsWith("Terminating"u8) || m.StartsWith("exiting, bye-bye"u8))
        {
            parsed.Kind = PhpFpmEventKind.MasterStopping;
        }
        else if (m.StartsWith("fpm is running"u8) || m.StartsWith("ready to handle connections"u8))
        {
            parsed.Kind = PhpFpmEventKind.MasterReady;
            parsed.Pid = IntAfter(m, "pid "u8);
        }
        else if (m.IndexOf("FPM initialization failed"u8) >= 0
            || (parsed.Level is PhpFpmLevel.Error or PhpFpmLevel.Alert && (m.IndexOf("can't be"u8) >= 0 || m.IndexOf("failed to"u8) >= 0
                || m.IndexOf("unable to"u8) >= 0 || m.IndexOf("Address already in use"u8) >= 0 || m.IndexOf("Permission denied"u8) >= 0)))
        {
            parsed.Kind = PhpFpmEventKind.StartupFailure;
        }
    }

    private static void ParseChild(ReadOnlySpan<byte> m, scoped ref PhpFpmLine parsed)
    {
        parsed.Pid = IntAfter(m, "child "u8);
        if (m.IndexOf(" exited on signal "u8) > 0)
        {
            // "child 24227 exited on signal 9 (SIGKILL) after 34708.373523 seconds from start"
            parsed.Kind = PhpFpmEventKind.ChildExitedOnSignal;
            parsed.Code = IntAfter(m, "on signal "u8);
            var open = m.IndexOf(" (SIG"u8);
            if (open > 0)
            {
                var name = m[(open + 2)..];
                var end = name.IndexOfAny((byte)')', (byte)' ');
                parsed.SignalName = end > 0 ? name[..end] : name;
            }

            parsed.Seconds = DoubleAfter(m, " after "u8);
        }
        else if (m.IndexOf(" exited with code "u8) > 0)
        {
            parsed.Kind = PhpFpmEventKind.ChildExitedWithCode;
            parsed.Code = IntAfter(m, "with code "u8);
            parsed.Seconds = DoubleAfter(m, " after "u8);
        }
        else if (m.EndsWith(" started"u8))
        {
            parsed.Kind = PhpFpmEventKind.ChildStarted;
        }
        else if (m.IndexOf(" said into std"u8) > 0)
        {
            parsed.Kind = PhpFpmEventKind.ChildStderr;
        }
        else if (m.IndexOf("executing too slow"u8) > 0 || m.IndexOf("execution timed out"u8) > 0)
        {
            // "child 1234, script '/var/www/x.php' (request: \"GET /x.php\") executing too slow (5.012 sec), logging"
            parsed.Kind = m.IndexOf("execution timed out"u8) > 0 ? PhpFpmEventKind.RequestTerminated : PhpFpmEventKind.SlowRequest;
            parsed.Script = Utf8Scan.Between(m, "script '"u8, "'"u8);
            parsed.Request = Utf8Scan.Between(m, "(request: \""u8, "\")"u8);
            var lastParen = m.LastIndexOf(" ("u8);
            if (lastParen > 0 && Utf8Parser.TryParse(m[(lastParen + 2)..], out double seconds, out _))
            {
                parsed.Seconds = seconds;
            }
        }
    }


    private static int IntAfter(ReadOnlySpan<byte> s, ReadOnlySpan<byte> marker)
    {
        var at = s.IndexOf(marker);
        return at >= 0 && Utf8Parser.TryParse(s[(at + marker.Length)..], out int value, out _) ? value : 0;
    }

    private static double DoubleAfter(ReadOnlySpan<byte> s, ReadOnlySpan<byte> marker)
    {
        var at = s.IndexOf(marker);
        return at >= 0 && Utf8Parser.TryParse(s[(at + marker.Length)..], out double value, out _) ? value : 0;
    }

    private static bool TryParseTimestamp(ReadOnlySpan<byte> s, out DateTime time)
    {
        // "07-Apr-2021 12:06:02"
        time = default;
        if (s[11] != (byte)' ' || s[14] != (byte)':' || s[17] != (byte)':')
        {
            return false;
        }

        var month = MonthOf(s.Slice(3, 3));
        if (month == 0 || !Utf8Scan.TryDigits(s[..2], out var day) || !Utf8Scan.TryDigits(s.Slice(7, 4), out var year) || !Utf8Scan.TryDigits(s.Slice(12, 2), out var hour)
            || !Utf8Scan.TryDigits(s.Slice(15, 2), out var minute) || !Utf8Scan.TryDigits(s.Slice(18, 2), out var second))
        {
            return false;
        }

        if (year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        time = new DateTime(year, month, day, hour, minute, Math.Min(second, 59), DateTimeKind.Unspecified);
        return true;
    }

    internal static int MonthOf(ReadOnlySpan<byte> s)
    {
        ReadOnlySpan<byte> months = "JanFebMarAprMayJunJulAugSepOctNovDec"u8;
        for (var m = 0; m < 12; m++)
        {
            if (s.SequenceEqual(months.Slice(m * 3, 3)))
            {
                return m + 1;
            }
        }

        return 0;
    }

}
