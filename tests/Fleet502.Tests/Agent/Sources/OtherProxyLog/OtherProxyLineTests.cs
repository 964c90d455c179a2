using System.Text;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Sources.OtherProxyLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.OtherProxyLog;

/// <summary>Apache mod_proxy, HAProxy and AWS ALB lines: the corpus's, and each row of catalogue section 6.</summary>
public class OtherProxyLineTests
{
    public static TheoryData<CorpusRecord> OtherProxyLines()
    {
        var data = new TheoryData<CorpusRecord>();
        foreach (var record in Corpus.Load("other_proxy_lines.jsonl"))
        {
            data.Add(record);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OtherProxyLines))]
    public void Every_corpus_line_of_another_proxy_classifies_to_its_mapped_cause_and_the_status_that_proxy_sends(CorpusRecord record)
    {
        var label = CorpusLabels.For(record.Cause);

        var classification = Classify(record.Line, out _);

        Assert.True(label.Accepts(classification.Cause), $"{record.Cause}: expected {label.Cause}, got {classification.Cause}");
        Assert.Equal(record.Status, classification.Status);
    }

    [Fact]
    public void Apache_fields_are_parsed_with_errno_code_client_and_backend()
    {
        Assert.True(ApacheErrorLineParser.TryParse("[Sat Oct 22 13:51:35.557407 2022] [proxy_fcgi:error] [pid 12492:tid 140209936983808] (70007)The timeout specified has expired: [client 10.0.0.9:18274] AH01075: Error dispatching request to 127.0.0.1:9000: (polling)"u8, out var line));

        Assert.Equal("proxy_fcgi", Text(line.Module));
        Assert.Equal("error", Text(line.Level));
        Assert.Equal(70007, line.Errno);
        Assert.Equal("The timeout specified has expired", Text(line.ErrnoText));
        Assert.Equal(1075, line.Code);
        Assert.Equal("10.0.0.9:18274", Text(line.Client));
        Assert.Equal("127.0.0.1:9000", Text(line.Backend));
    }

    [Theory]
    // catalogue 6.3, one row each
    [InlineData("[proxy:error] [pid 1] (111)Connection refused: AH00957: HTTP: attempt to connect to 10.0.0.5:8080 (10.0.0.5) failed", Cause.BackendDown, 503)]
    [InlineData("[proxy:error] [pid 1] (113)No route to host: AH00957: HTTP: attempt to connect to 10.0.0.5:8080 (10.0.0.5) failed", Cause.HostUnreachable, 503)]
    [InlineData("[proxy:error] [pid 1] (13)Permission denied: AH02454: FCGI: attempt to connect to Unix domain socket /run/php/php8.2-fpm.sock (localhost:8000) failed", Cause.SocketPermission, 503)]
    [InlineData("[proxy:error] [pid 1] AH00959: ap_proxy_connect_backend disabling worker for (10.0.0.5:8080) for 60s", Cause.BackendDown, 503)]
    [InlineData("[proxy:error] [pid 1] AH00940: HTTP: disabled connection for (10.0.0.5:8080)", Cause.NoLiveUpstreams, 503)]
    [InlineData("[proxy_http:error] [pid 1] [client 1.2.3.4:5] AH01114: HTTP: failed to make connection to backend: 10.0.0.5", Cause.Unknown, 503)]
    [InlineData("[proxy_fcgi:error] [pid 1] (111)Connection refused: [client 1.2.3.4:5] AH01079: failed to make connection to backend: 127.0.0.1", Cause.BackendDown, 503)]
    [InlineData("[proxy_http:error] [pid 1] (104)Connection reset by peer: [client 1.2.3.4:5] AH01102: error reading status line from remote server 10.0.0.5:8080", Cause.UpstreamCrash, 502)]
    [InlineData("[proxy:error] [pid 1] [client 1.2.3.4:5] AH00898: Error reading from remote server returned by /api", Cause.UpstreamCrash, 502)]
    [InlineData("[proxy:error] [pid 1] [client 1.2.3.4:5] AH00898: Corrupt status line returned by remote server: HTTP/1.1 abc returned by /api", Cause.InvalidHeader, 502)]
    [InlineData("[proxy_fcgi:error] [pid 1] (104)Connection reset by peer: [client 1.2.3.4:5] AH01075: Error dispatching request to 127.0.0.1:9000:", Cause.Unknown, 503)]
    [InlineData("[proxy_fcgi:error] [pid 1] [client 1.2.3.4:5] AH01068: Got bogus version 72", Cause.ProtocolMismatch, 502)]
    [InlineData("[proxy_fcgi:error] [pid 1] [client 1.2.3.4:5] AH01067: Failed to read FastCGI header", Cause.ProtocolMismatch, 502)]
    [InlineData("[proxy_http:warn] [pid 1] [client 1.2.3.4:5] AH01106: bad HTTP/0.9 header returned by /api (GET)", Cause.InvalidHeader, 502)]
    // not proxy failures
    [InlineData("[core:error] [pid 1] [client 1.2.3.4:5] AH00126: Invalid URI in request GET /%%% HTTP/1.1", Cause.Unspecified, 0)]
    [InlineData("[proxy:debug] [pid 1] (111)Connection refused: AH00957: HTTP: attempt to connect to [::1]:8080 (localhost) failed", Cause.Unspecified, 0)]
    [InlineData("[mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.57 (Debian) configured -- resuming normal operations", Cause.Unspecified, 0)]
    public void Apache_catalogue_codes_classify_to_cause_and_apaches_status(string tail, Cause cause, int status)
    {
        var classification = Classify("[Wed Jun 17 13:08:52.089713 2020] " + tail, out var kind);

        Assert.Equal("apache", kind);
        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
    }

    [Theory]
    // catalogue 6.2: termination states (haproxy/haproxy#2071 for sH--)
    [InlineData("be/srv1 0/0/-1/-1/3 503 212 - - SC-- 1/1/0/0/3 0/0", Cause.BackendDown, 503)]
    [InlineData("be/srv1 0/0/-1/-1/5002 503 212 - - sC-- 1/1/0/0/3 0/0", Cause.UpstreamTimeout, 503)]
    [InlineData("be/srv1 0/0/3/-1/120 502 209 - - SH-- 1/1/0/0/0 0/0", Cause.UpstreamCrash, 502)]
    [InlineData("be/srv1 0/0/3/-1/600004 504 194 - - sH-- 1/1/0/0/0 0/0", Cause.UpstreamTimeout, 504)]
    [InlineData("be/srv1 0/0/3/10/9000 200 1024 - - SD-- 1/1/0/0/0 0/0", Cause.UpstreamCrash, 200)]
    [InlineData("be/srv1 0/0/3/10/60000 200 1024 - - sD-- 1/1/0/0/0 0/0", Cause.UpstreamTimeout, 200)]
    [InlineData("be/srv1 0/30000/-1/-1/30000 503 212 - - sQ-- 9/9/9/2/0 0/17", Cause.BacklogFull, 503)]
    [InlineData("be/srv1 0/0/3/5/8 502 209 - - PH-- 1/1/0/0/0 0/0", Cause.InvalidHeader, 502)]
    [InlineData("be/srv1 0/0/-1/-1/0 503 212 - - PC-- 1/1/0/0/0 0/0", Cause.FdExhaustion, 503)]
    [InlineData("be/srv1 0/0/-1/-1/0 503 212 - - RC-- 1/1/0/0/0 0/0", Cause.AddressExhaustion, 503)]
    [InlineData("be/<NOSRV> 0/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0", Cause.NoLiveUpstreams, 503)]
    // client aborts, timeouts and local answers blame no server
    [InlineData("be/srv1 0/0/3/-1/2000 499 0 - - CH-- 1/1/0/0/0 0/0", Cause.Unspecified, 0)]
    [InlineData("be/srv1 -1/-1/-1/-1/5000 408 212 - - cR-- 1/1/0/0/0 0/0", Cause.Unspecified, 0)]
    [InlineData("stats/<STATS> 0/-1/-1/-1/0 200 1024 - - LR-- 1/1/0/0/0 0/0", Cause.Unspecified, 0)]
    [InlineData("be/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0", Cause.Unspecified, 0)]
    public void Haproxy_termination_states_classify_to_cause(string middle, Cause cause, int status)
    {
        var raw = $"Feb  6 12:14:14 lb haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in {middle} {{1wt.eu}} {{}} \"GET /index.html HTTP/1.1\"";

        var classification = Classify(raw, out var kind);

        Assert.Equal("haproxy", kind);
        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
        Assert.True(HaproxyLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal("http-in", Text(line.Frontend));
        Assert.Contains(Text(line.Backend), new[] { "be", "stats" });
        Assert.Equal("GET /index.html HTTP/1.1", Text(line.Request));
    }

    [Theory]
    // JSON log-formats: the key names are the user's (two common shapes, %ts and %tsc, number and string status)
    [InlineData("{\"timestamp\":1700000000,\"frontend_name\":\"http-in\",\"backend_name\":\"be\",\"upstream_connect_time\":\"-1\",\"termination_state\":\"SC\",\"status_code\":503}", Cause.BackendDown, 503)]
    [InlineData("Nov 24 10:00:00 lb haproxy[1]: {\"haproxy_backend\":\"be\",\"haproxy_serverName\":\"s1\",\"haproxy_terminationState\":\"sH--\",\"status_code\":\"504\"}", Cause.UpstreamTimeout, 504)]
    [InlineData("{\"internal\":{\"termination_state\":\"----\"},\"response\":{\"status_code\":200}}", Cause.Unspecified, 0)]
    public void Haproxy_json_log_formats_are_read_by_their_termination_state_key(string raw, Cause cause, int status)
    {
        var classification = Classify(raw, out var kind);

        Assert.Equal("haproxy", kind);
        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
    }

    [Theory]
    // catalogue 6.1
    [InlineData("10.0.0.1:80 0.001 4.205 -1 502 -", Cause.UpstreamCrash, 502)]
    [InlineData("10.0.0.1:80 -1 -1 -1 502 -", Cause.BackendDown, 502)]
    [InlineData("10.0.0.1:80 0.000 -1 -1 504 -", Cause.UpstreamTimeout, 504)]
    [InlineData("- -1 -1 -1 503 -", Cause.NoLiveUpstreams, 503)]
    // the target (nginx) made the 502: its own logs hold the cause
    [InlineData("10.0.0.1:80 0.000 0.003 0.000 502 502", Cause.Unknown, 502)]
    [InlineData("10.0.0.1:80 0.000 0.003 0.000 200 200", Cause.Unspecified, 0)]
    [InlineData("10.0.0.1:80 0.000 0.003 0.000 460 -", Cause.Unspecified, 0)]
    [InlineData("10.0.0.1:80 -1 -1 -1 464 -", Cause.ProtocolMismatch, 464)]
    public void Alb_status_pairs_and_timings_classify_to_cause(string middle, Cause cause, int status)
    {
        var raw = $"https 2024-05-01T10:00:00.123456Z app/lb/50dc6c495c0c9188 192.168.131.39:2817 {middle} 94 326 \"GET https://example.com:443/ HTTP/1.1\" \"curl/8.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 2024-05-01T10:00:00.000000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"-\" \"-\" \"-\"";

        var classification = Classify(raw, out var kind);

        Assert.Equal("alb", kind);
        Assert.Equal(cause, classification.Cause);
        Assert.Equal(status, classification.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[Wed Jun 17 13:08:52.089713 2020]")]
    [InlineData("[Wed Jun 17 13:08:52.089713 2020] [")]
    [InlineData("[Wed Jun 17 13:08:52.089713 2020] [proxy:error] [pid 1] (")]
    [InlineData("[Wed Jun 17 13:08:52.089713 2020] [proxy:error] (99999999999)x")]
    [InlineData("[Wed Jun 17 13:08:52.089713 2020] [proxy:error] AH0")]
    [InlineData("http 2024-05-01T10:00:00.123456Z")]
    [InlineData("http 2024-05-01T10:00:00.123456Z a b c x y z 502")]
    [InlineData("a be/s 1/2/3/4/5")]
    [InlineData("a be/s 1/2/3/4/5 502 1 - - S")]
    public void Malformed_lines_never_throw(string raw) => _ = Classify(raw, out _);

    private static Classification Classify(string raw, out string kind)
    {
        var bytes = Encoding.UTF8.GetBytes(raw);
        if (ApacheErrorLineParser.TryParse(bytes, out var apache))
        {
            kind = "apache";
            return ApacheErrorClassifier.Classify(apache);
        }

        if (AlbAccessLineParser.TryParse(bytes, out var alb))
        {
            kind = "alb";
            return AlbAccessClassifier.Classify(alb);
        }

        if (HaproxyLineParser.TryParse(bytes, out var haproxy))
        {
            kind = "haproxy";
            return HaproxyClassifier.Classify(haproxy);
        }

        kind = "none";
        return Classification.None;
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);
}
