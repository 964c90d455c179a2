using System.Text;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;

namespace Fleet502.Tests.Agent.Sources.NginxErrorLog;

public class NginxErrorLineParserTests
{
    public static TheoryData<CorpusRecord> RefusedAndMissing => Corpus.NginxErrors("backend_down_conn_refused", "socket_missing");

    [Theory]
    [MemberData(nameof(RefusedAndMissing))]
    public void Real_refused_and_missing_socket_lines_classify_to_their_cause(CorpusRecord record)
    {
        var expected = record.Cause == "socket_missing" ? Cause.SocketMissing : Cause.BackendDown;

        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(record.Line), out var line));
        var classification = UpstreamErrorClassifier.Classify(line);

        Assert.Equal(expected, classification.Cause);
        Assert.Equal(record.Status, classification.Status);
        Assert.Equal(Phase.Connect, line.Phase);
    }

    [Fact]
    public void Parses_prefix_context_and_tcp_upstream_of_a_full_line()
    {
        var raw = "2023/10/20 09:37:22 [error] 1258#1258: *11895 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.2, server: digisop-ad.axxsoln.in, request: \"GET /favicon.ico HTTP/1.1\", upstream: \"http://10.0.1.151:3000/favicon.ico\", host: \"digisop-ad.axxsoln.in\", referrer: \"https://digisop-ad.axxsoln.in/departments\""u8;

        Assert.True(NginxErrorLineParser.TryParse(raw, out var line));

        Assert.Equal(new DateTime(2023, 10, 20, 9, 37, 22), line.LocalTime);
        Assert.Equal(NginxLogLevel.Error, line.Level);
        Assert.Equal(1258, line.Pid);
        Assert.Equal(1258, line.Tid);
        Assert.Equal(11895, line.ConnectionId);
        Assert.Equal("connect() failed", Text(line.Message));
        Assert.Equal(111, line.Errno);
        Assert.Equal("Connection refused", Text(line.ErrnoText));
        Assert.Equal("10.0.0.2", Text(line.Client));
        Assert.Equal("digisop-ad.axxsoln.in", Text(line.Server));
        Assert.Equal("GET /favicon.ico HTTP/1.1", Text(line.Request));
        Assert.Equal("http://10.0.1.151:3000/favicon.ico", Text(line.Upstream));
        Assert.Equal("digisop-ad.axxsoln.in", Text(line.Host));
        Assert.Equal("https://digisop-ad.axxsoln.in/departments", Text(line.Referrer));

        var target = UpstreamTargetParser.Parse(line.Upstream)!;
        Assert.Equal("10.0.1.151:3000", target.Address);
        Assert.Equal("http", target.Scheme);
        Assert.Equal(3000u, target.Port);
    }

    [Theory]
    [InlineData("2020/02/20 16:45:08 [crit] 551#551: *1 connect() to unix:/var/run/php-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 172.17.0.1, server: , request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/var/run/php-fpm.sock:\", host: \"localhost\"", "unix:/var/run/php-fpm.sock", "")]
    [InlineData("2017/09/22 18:05:33 [error] 6536#0: *56860 connect() to unix:///var/sockets/harri.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 10.10.5.151, server: communication-api.harri.com, request: \"GET /health_check HTTP/1.1\", upstream: \"uwsgi://unix:///var/sockets/harri.sock:\", host: \"10.10.2.171\"", "unix:/var/sockets/harri.sock", "communication-api.harri.com")]
    [InlineData("2024/01/01 00:00:00 [error] 6#6: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: _, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.1-fpm.sock\", host: \"x\"", "unix:/run/php/php8.1-fpm.sock", "_")]
    [InlineData("2024/01/01 00:00:00 [error] 6#6: *9 connect() failed (111: Connection refused) while connecting to upstream, client: ::ffff:41.43.9.21, server: a.example, request: \"GET / HTTP/2.0\", upstream: \"http://[::1]:5000/\", host: \"a.example\"", "[::1]:5000", "a.example")]
    [InlineData("2024/01/01 00:00:00 [error] 6#6: *9 no live upstreams while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET /x HTTP/1.1\", upstream: \"http://backend/x\", host: \"a\"", "backend", "a")]
    public void Extracts_unix_ipv6_and_group_targets(string raw, string expectedTarget, string expectedServer)
    {
        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(expectedTarget, UpstreamTargetParser.Parse(line.Upstream)!.Address);
        Assert.Equal(expectedServer, Text(line.Server));
    }

    [Theory]
    [InlineData("nginx_1      | 2019/11/25 16:44:30 [error] 7#7: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://172.19.0.4:3000/\", host: \"a\"", 7, 7L)]
    [InlineData("2024-05-01T10:00:00.123456789Z stderr F 2024/05/01 10:00:00 [error] 3484#102072: *3 connect() failed (61: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:3000/\", host: \"a\"", 3484, 102072L)]
    [InlineData("daemon.err: Oct 14 14:44:22 horst horst nginx: 2015/10/14 14:44:22 [error] 18043#0: *10 connect() failed (111: Unknown error) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.5:3000/\", host: \"a\"", 18043, 0L)]
    public void Skips_container_and_syslog_prefixes_and_matches_errno_numbers_not_text(string raw, int pid, long tid)
    {
        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));

        Assert.NotNull(line.LocalTime);
        Assert.Equal(pid, line.Pid);
        Assert.Equal(tid, line.Tid);
        Assert.Equal(Cause.BackendDown, UpstreamErrorClassifier.Classify(line).Cause);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("2024/13/45 99:99:99 [error]")]
    [InlineData("[error] #: *")]
    [InlineData("connect() failed (")]
    [InlineData("connect() failed (111")]
    [InlineData(", client: , server: , request: \", upstream: \"")]
    [InlineData("upstream: \"unix:\"")]
    [InlineData("2024/01/01 00:00:00 [error] 1#1: *1 x, upstream: \"http://[::1\"")]
    public void Malformed_lines_never_throw(string raw)
    {
        var bytes = Encoding.UTF8.GetBytes(raw);
        if (NginxErrorLineParser.TryParse(bytes, out var line))
        {
            _ = UpstreamErrorClassifier.Classify(line);
            _ = UpstreamTargetParser.Parse(line.Upstream);
        }
    }

    [Fact]
    public void Random_bytes_and_mutated_real_lines_never_throw()
    {
        var random = new Random(502);
        var seeds = Corpus.Load("nginx_error_lines.jsonl").Select(r => Encoding.UTF8.GetBytes(r.Line)).ToArray();
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 400)];
                random.NextBytes(input);
            }
            else
            {
                // Cut a real line at a random point and flip a few bytes: truncation and corruption.
                var seed = seeds[random.Next(seeds.Length)];
                input = seed[..random.Next(0, seed.Length + 1)];
                for (var flips = random.Next(0, 4); flips > 0 && input.Length > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            if (NginxErrorLineParser.TryParse(input, out var line))
            {
                parsed++;
                _ = UpstreamErrorClassifier.Classify(line);
                _ = UpstreamTargetParser.Parse(line.Upstream);
            }
        }

        Assert.InRange(parsed, 1, 20_000);
    }

    [Fact]
    public void A_huge_line_parses_without_blowup()
    {
        var uri = new string('a', 4 * 1024 * 1024);
        var raw = $"2024/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: s, request: \"GET /{uri} HTTP/1.1\", upstream: \"http://127.0.0.1:9/{uri}\", host: \"h\"";

        Assert.True(NginxErrorLineParser.TryParse(Encoding.UTF8.GetBytes(raw), out var line));
        Assert.Equal(Cause.BackendDown, UpstreamErrorClassifier.Classify(line).Cause);
        Assert.Equal("127.0.0.1:9", UpstreamTargetParser.Parse(line.Upstream)!.Address);
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);
}
