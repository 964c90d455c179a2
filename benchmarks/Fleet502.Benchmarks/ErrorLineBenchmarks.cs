using System.Text;
using BenchmarkDotNet.Attributes;
using Fleet502.Agent.Sources.NginxErrorLog;

namespace Fleet502.Benchmarks;

/// <summary>
/// error.log hot path: parse + classify, and parse + classify + coalesce, over a mix of real-shaped
/// lines. One operation is one line (OperationsPerInvoke), so Mean is ns/line and Allocated is B/line.
/// </summary>
[MemoryDiagnoser]
public class ErrorLineBenchmarks
{
    private const int Lines = 4096;

    private static readonly string[] Shapes =
    [
        "2023/10/20 09:37:22 [error] 1258#1258: *11895 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.2, server: digisop-ad.axxsoln.in, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://10.0.1.151:3000/favicon.ico\", host: \"digisop-ad.axxsoln.in\", referrer: \"https://digisop-ad.axxsoln.in/departments\"",
        "2020/02/20 16:45:08 [crit] 551#551: *1 connect() to unix:/var/run/php-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 172.17.0.1, server: , request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/var/run/php-fpm.sock:\", host: \"localhost:5000\"",
        "2021/12/31 13:40:59 [error] 13#13: *141596 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: \"POST /api/login HTTP/1.1\", upstream: \"fastcgi://unix:///var/run/php-fpm.sock\", host: \"wcd_api\"",
        "2024/11/03 06:09:30 [error] 184#184: *94 upstream prematurely closed connection while reading response header from upstream, client: 192.168.58.11, server: opensearch-dashboard.hi.local, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://10.244.3.84:5601/favicon.ico\", host: \"opensearch-dashboard.hi.local\", referrer: \"https://demo-dashboard.example.com\"",
        "nginx_1      | 2019/09/26 01:32:42 [error] 56#56: *63 no live upstreams while connecting to upstream, client: 113.185.40.45, server: mywilldomain.tk, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://mywilldomain.tk/favicon.ico\", host: \"mywilldomain.tk\"",
        "2018/06/24 22:41:22 [crit] 61481#61481: *1228609 SSL_do_handshake() failed (SSL: error:14209102:SSL routines:tls_early_post_process_client_hello:unsupported protocol) while SSL handshaking, client: 54.208.42.136, server: 0.0.0.0:443",
        "2020/04/01 05:17:07 [error] 6#6: *12 FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream, client: 172.19.0.1, server: localhost, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://172.19.0.2:9000\", host: \"localhost:7080\"",
        "2024/11/28 08:48:31 [warn] 21#21: *1 an upstream response is buffered to a temporary file /var/cache/nginx/fastcgi_temp/1/00/0000000001 while reading upstream, client: 172.19.0.1, server: _, request: \"POST /api/v1/refresh HTTP/1.0\", upstream: \"fastcgi://172.19.0.4:9000\", host: \"x\"",
    ];

    private byte[][] _lines = [];
    private UpstreamErrorCoalescer _coalescer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _lines = Enumerable.Range(0, Lines).Select(i => Encoding.UTF8.GetBytes(Shapes[i % Shapes.Length])).ToArray();
        // Real clock; the window never closes during a run, so repeated keys hit the pending events.
        _coalescer = new UpstreamErrorCoalescer(TimeSpan.FromHours(1), TimeProvider.System);
        // Warm the keys: a storm repeats the same few (cause, peer, server) keys.
        ParseClassifyCoalesce();
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseAndClassify()
    {
        var blamed = 0;
        foreach (var raw in _lines)
        {
            if (NginxErrorLineParser.TryParse(raw, out var line) && UpstreamErrorClassifier.Classify(line).Blames)
            {
                blamed++;
            }
        }

        return blamed;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseClassifyCoalesce()
    {
        var origin = new LineOrigin("/var/log/nginx/error.log", 1, 2, 0);
        foreach (var raw in _lines)
        {
            if (NginxErrorLineParser.TryParse(raw, out var line))
            {
                var classification = UpstreamErrorClassifier.Classify(line);
                if (classification.Blames)
                {
                    _coalescer.Add(line, classification, raw, origin);
                }
            }
        }

        return _coalescer.PendingCount;
    }
}
