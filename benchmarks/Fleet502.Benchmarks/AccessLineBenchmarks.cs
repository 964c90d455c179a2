using System.Text;
using BenchmarkDotNet.Attributes;
using Fleet502.Agent.Sources.NginxAccessLog;

namespace Fleet502.Benchmarks;

/// <summary>
/// access.log hot path: match the log_format and add the line to its (server, upstream) window, for the
/// combined format and an escape=json format with upstream lists. All lines fall in one period, so no
/// window closes during a run: one operation is one line (OperationsPerInvoke), Mean is ns/line and
/// Allocated is B/line.
/// </summary>
[MemoryDiagnoser]
public class AccessLineBenchmarks
{
    private const int Lines = 4096;

    private const string JsonFormat = """
        log_format json escape=json '{"time":"$time_iso8601","remote_addr":"$remote_addr","host":"$host","request":"$request",'
          '"status":$status,"bytes":$body_bytes_sent,"rt":$request_time,"ua":"$http_user_agent",'
          '"upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",'
          '"urt":"$upstream_response_time","uht":"$upstream_header_time"}';
        """;

    private static readonly string[] CombinedShapes =
    [
        "172.17.0.1 - - [20/Feb/2020:16:45:08 +0100] \"GET /favicon.ico HTTP/1.1\" 502 157 \"-\" \"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:72.0) Gecko/20100101 Firefox/72.0\"",
        "10.0.0.7 - alice [20/Feb/2020:16:45:09 +0100] \"POST /api/v1/orders?id=42 HTTP/1.1\" 200 5120 \"https://shop.example/cart\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\"",
        "192.168.1.20 - - [20/Feb/2020:16:45:09 +0100] \"GET /static/app.js HTTP/2.0\" 304 0 \"https://shop.example/\" \"curl/8.2.1\"",
        "172.20.0.1 - - [20/Feb/2020:16:45:07 +0100] \"POST /MemberSrv.Users/getUserInfo HTTP/1.1\" 504 160 \"-\" \"curl/7.29.0\"",
    ];

    private static readonly string[] JsonShapes =
    [
        """{"time":"2024-05-01T10:00:01+00:00","remote_addr":"10.1.1.1","host":"api.example","request":"GET /v1/items HTTP/1.1","status":200,"bytes":512,"rt":0.012,"ua":"Mozilla/5.0 (X11; Linux x86_64)","upstream_addr":"10.0.0.1:8080","upstream_status":"200","urt":"0.011","uht":"0.010"}""",
        """{"time":"2024-05-01T10:00:02+00:00","remote_addr":"10.1.1.2","host":"api.example","request":"POST /v1/pay HTTP/1.1","status":502,"bytes":157,"rt":0.003,"ua":"curl \"8.2\"","upstream_addr":"10.0.0.1:8080, 10.0.0.2:8080","upstream_status":"502, 502","urt":"0.001, 0.002","uht":"-, -"}""",
        """{"time":"2024-05-01T10:00:03+00:00","remote_addr":"10.1.1.3","host":"php.example","request":"GET /index.php HTTP/1.1","status":504,"bytes":160,"rt":60.001,"ua":"-","upstream_addr":"unix:/run/php/php8.2-fpm.sock","upstream_status":"504","urt":"60.001","uht":"-"}""",
        """{"time":"2024-05-01T10:00:04+00:00","remote_addr":"10.1.1.4","host":"api.example","request":"GET /dl HTTP/1.1","status":404,"bytes":20,"rt":0.070,"ua":"-","upstream_addr":"10.0.0.1:8080, 10.0.0.2:8080 : 10.0.1.5:80","upstream_status":"502, 200 : 404","urt":"0.001, 0.050 : 0.018","uht":"-, 0.040 : 0.017"}""",
    ];

    private byte[][] _combined = [];
    private byte[][] _json = [];
    private AccessWindowAggregator _combinedWindows = null!;
    private AccessWindowAggregator _jsonWindows = null!;

    [GlobalSetup]
    public void Setup()
    {
        _combined = Enumerable.Range(0, Lines).Select(i => Encoding.UTF8.GetBytes(CombinedShapes[i % CombinedShapes.Length])).ToArray();
        _json = Enumerable.Range(0, Lines).Select(i => Encoding.UTF8.GetBytes(JsonShapes[i % JsonShapes.Length])).ToArray();
        _combinedWindows = new AccessWindowAggregator(LogFormat.Parse("combined"));
        _jsonWindows = new AccessWindowAggregator(LogFormat.Parse(JsonFormat));
        // Warm the windows: a busy log repeats the same few (server, upstream) keys.
        CombinedParseAndWindow();
        JsonParseAndWindow();
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public long CombinedParseAndWindow()
    {
        var offset = 0L;
        foreach (var line in _combined)
        {
            _combinedWindows.Add(line, offset);
            offset += line.Length + 1;
        }

        return _combinedWindows.Lines;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public long JsonParseAndWindow()
    {
        var offset = 0L;
        foreach (var line in _json)
        {
            _jsonWindows.Add(line, offset);
            offset += line.Length + 1;
        }

        return _jsonWindows.Lines;
    }
}
