using System.Text;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.NginxAccessLog;

public class LogFormatTests
{
    [Fact]
    public void Combined_extracts_every_field()
    {
        var format = LogFormat.Parse("combined");
        var line = "172.17.0.1 - - [20/Feb/2020:16:45:08 +0100] \"GET /favicon.ico HTTP/1.1\" 502 157 \"-\" \"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:72.0) Gecko/20100101 Firefox/72.0\""u8;

        var values = Match(format, line);

        Assert.Equal("172.17.0.1", values["remote_addr"]);
        Assert.Equal("20/Feb/2020:16:45:08 +0100", values["time_local"]);
        Assert.Equal("GET /favicon.ico HTTP/1.1", values["request"]);
        Assert.Equal("502", values["status"]);
        Assert.Equal("157", values["body_bytes_sent"]);
        Assert.StartsWith("Mozilla/5.0", values["http_user_agent"], StringComparison.Ordinal);
    }

    [Fact]
    public void Json_formats_keep_escaped_quotes_inside_values()
    {
        var format = LogFormat.Parse("""
            log_format json_combined escape=json
              '{'
                '"time":"$time_iso8601",'
                '"status":"$status",'
                '"ua":"$http_user_agent",'
                '"upstream_status":"$upstream_status",'
                '"urt":"$upstream_response_time"'
              '}';
            """);
        Assert.True(format.EscapeJson);
        var line = """{"time":"2024-05-01T10:00:00+00:00","status":"502","ua":"curl \"quoted\" 8.0","upstream_status":"502, 504 : 200","urt":"0.001, 5.000 : 0.002"}"""u8;

        var values = Match(format, line);

        Assert.Equal("502", values["status"]);
        Assert.Equal("curl \\\"quoted\\\" 8.0", values["http_user_agent"]);
        Assert.Equal("502, 504 : 200", values["upstream_status"]);
        Assert.Equal(3, UpstreamValueList.Count(Encoding.UTF8.GetBytes(values["upstream_response_time"])));
    }

    [Theory]
    [InlineData("10.0.0.1:80", 1, "10.0.0.1:80", false)]
    [InlineData("10.0.0.1:80, 10.0.0.2:80 : 10.0.1.5:8080", 3, "10.0.1.5:8080", true)]
    [InlineData("unix:/run/php.sock", 1, "unix:/run/php.sock", false)]
    [InlineData("[::1]:3000, 127.0.0.1:3000", 2, "127.0.0.1:3000", false)]
    [InlineData("", 0, "", false)]
    public void Upstream_lists_split_on_comma_and_group_separator(string value, int count, string last, bool switched)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Assert.Equal(count, UpstreamValueList.Count(bytes));
        Assert.Equal(last, Encoding.UTF8.GetString(UpstreamValueList.Last(bytes)));
        Assert.Equal(switched, UpstreamValueList.SwitchedGroup(bytes));

        var parts = new List<string>();
        UpstreamValueList.Split(bytes, parts);
        Assert.Equal(count, parts.Count);
    }

    [Fact]
    public void A_line_of_another_shape_does_not_match()
    {
        var format = LogFormat.Parse("combined");
        Assert.False(format.TryMatch("2024/05/01 10:00:00 [error] 6#6: *9 no live upstreams"u8, new Range[format.Variables.Count]));
    }

    [Theory]
    [InlineData("504", "192.168.215.1:80, 192.168.215.1:80", "-, -", Cause.UpstreamTimeout)]
    [InlineData("502", "backend", "-", Cause.NoLiveUpstreams)]
    [InlineData("502", "10.0.0.1:80", "0.001", Cause.Unknown)]
    [InlineData("009", "10.0.0.1:80", "-", Cause.Http09Response)]
    [InlineData("200", "10.0.0.1:80", "0.001", Cause.Unspecified)]
    public void Access_lines_blame_only_what_they_show(string status, string addr, string headerTime, Cause cause)
    {
        var format = LogFormat.Parse("'$status \"$upstream_addr\" \"$upstream_header_time\"'");
        var line = Encoding.UTF8.GetBytes($"{status} \"{addr}\" \"{headerTime}\"");
        var ranges = new Range[format.Variables.Count];

        Assert.True(format.TryMatch(line, ranges));
        Assert.Equal(cause, AccessLineClassifier.Classify(format, line, ranges).Cause);
        Assert.Equal(headerTime.EndsWith('-'), AccessLineClassifier.NginxGenerated(format, line, ranges));
    }

    private static Dictionary<string, string> Match(LogFormat format, ReadOnlySpan<byte> line)
    {
        var ranges = new Range[format.Variables.Count];
        Assert.True(format.TryMatch(line, ranges));
        var values = new Dictionary<string, string>();
        for (var i = 0; i < format.Variables.Count; i++)
        {
            values.TryAdd(format.Variables[i], Encoding.UTF8.GetString(line[ranges[i]]));
        }

        return values;
    }
}
