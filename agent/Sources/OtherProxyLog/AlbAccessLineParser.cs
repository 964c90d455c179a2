using System.Buffers.Text;

namespace Fleet502.Agent.Sources.OtherProxyLog;

/// <summary>
/// Parses AWS ALB access-log entries (catalogue section 6.1): space-separated
/// <c>type time elb client:port target:port request_processing_time target_processing_time
/// response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request" ...</c>;
/// fields after the request are ignored (new ones are only ever appended). Never throws; allocates nothing.
/// </summary>
public static class AlbAccessLineParser
{
    public static bool TryParse(ReadOnlySpan<byte> line, out AlbAccessLine parsed)
    {
        parsed = default;
        line = line.TrimEnd("\r\n"u8).Trim((byte)' ');
        var pos = 0;
        if (!Next(line, ref pos, out var type) || !IsType(line[type])
            || !Next(line, ref pos, out var time) || !IsIsoTime(line[time])
            || !Next(line, ref pos, out _)
            || !Next(line, ref pos, out var client)
            || !Next(line, ref pos, out var target)
            || !Seconds(line, ref pos, out var request) || !Seconds(line, ref pos, out var targetTime) || !Seconds(line, ref pos, out var response)
            || !Next(line, ref pos, out var elb) || line[elb].Length != 3 || !Utf8Scan.TryDigits(line[elb], out var elbStatus)
            || !Next(line, ref pos, out var targetStatus))
        {
            return false;
        }

        parsed.Type = line[type];
        parsed.Time = line[time];
        parsed.Client = line[client];
        parsed.Target = line[target];
        parsed.RequestProcessingTime = request;
        parsed.TargetProcessingTime = targetTime;
        parsed.ResponseProcessingTime = response;
        parsed.ElbStatus = elbStatus;
        parsed.TargetStatus = line[targetStatus].Length == 3 && Utf8Scan.TryDigits(line[targetStatus], out var t) ? t : 0;
        parsed.Request = Utf8Scan.Between(line[pos..], "\""u8, "\""u8);
        return true;
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

    private static bool Seconds(ReadOnlySpan<byte> s, ref int pos, out double value)
    {
        value = 0;
        return Next(s, ref pos, out var token) && Utf8Parser.TryParse(s[token], out value, out var used) && used == s[token].Length;
    }

    private static bool IsIsoTime(ReadOnlySpan<byte> s) => s.Length >= 20 && s[4] == (byte)'-' && s[10] == (byte)'T';

    private static bool IsType(ReadOnlySpan<byte> s) =>
        s.SequenceEqual("http"u8) || s.SequenceEqual("https"u8) || s.SequenceEqual("h2"u8) || s.SequenceEqual("grpcs"u8)
        || s.SequenceEqual("ws"u8) || s.SequenceEqual("wss"u8);
}
