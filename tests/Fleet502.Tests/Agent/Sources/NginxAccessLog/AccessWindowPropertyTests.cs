using System.Text;
using CsCheck;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;

namespace Fleet502.Tests.Agent.Sources.NginxAccessLog;

public class AccessWindowPropertyTests
{
    private const string Format = "'[$time_local] $host $status $request_time \"$upstream_addr\" \"$upstream_status\" \"$upstream_response_time\" \"$upstream_header_time\"'";

    [Fact]
    public void No_input_throws_and_every_line_is_counted_once()
    {
        Gen.Byte.Array[0, 300].Array[0, 50].Sample(lines =>
        {
            var aggregator = new AccessWindowAggregator(LogFormat.Parse(Format));
            foreach (var line in lines)
            {
                aggregator.Add(line, 0);
            }

            aggregator.CloseAll();
            Assert.Equal(lines.Length, aggregator.Lines);
        });
    }

    [Fact]
    public void Requests_and_attempts_add_up_over_windows()
    {
        var attempt = Gen.Select(Pick("10.0.0.1:80", "10.0.0.2:80", "unix:/run/a.sock", "backend"), Pick("200", "502", "504", "-"), Pick("-", "0.001", "5.000"));
        var request = Gen.Select(Gen.Int[0, 120], Pick("a", "b", "-"), Pick(200, 404, 502, 504), attempt.Array[0, 4], Gen.Bool);
        request.Array[1, 200].Sample(requests =>
        {
            var aggregator = new AccessWindowAggregator(LogFormat.Parse(Format));
            long expectedAttempts = 0;
            long skipped = 0;
            foreach (var (second, host, status, attempts, redirect) in requests)
            {
                var sep = redirect ? " : " : ", ";
                var addr = attempts.Length == 0 ? "-" : string.Join(sep, attempts.Select(a => a.Item1));
                var line = $"[01/May/2024:10:{second / 60:00}:{second % 60:00} +0000] {host} {status} 0.010 \"{addr}\" \"{string.Join(sep, attempts.Select(a => a.Item2))}\" \"{string.Join(sep, attempts.Select(a => a.Item3))}\" \"{string.Join(sep, attempts.Select(a => a.Item3))}\"";
                var before = aggregator.Skipped;
                Assert.True(aggregator.Add(Encoding.UTF8.GetBytes(line), 0), line);
                if (aggregator.Skipped == before)
                {
                    expectedAttempts += attempts.Length;
                }
                else
                {
                    skipped++;
                }
            }

            aggregator.CloseAll();
            var ready = new List<ClosedAccessWindow>();
            aggregator.Drain(ready);
            Assert.Equal(requests.Length - skipped, ready.Sum(w => (long)w.Window.Requests));
            Assert.Equal(expectedAttempts, ready.Sum(w => (long)w.Window.Attempts));
            Assert.All(ready, w => Assert.Equal(w.Window.Requests, w.Window.Statuses.Values.Aggregate(0UL, (a, b) => a + b)));
        });
    }

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    [Fact]
    public void Config_parsing_never_throws()
    {
        Gen.String[Gen.Char["{};'\"#\\ \nabcdefgh$_/:"], 0, 300].Sample(text =>
        {
            var config = ProxyConfigExtractor.Extract(ConfigParser.Parse("# configuration file /etc/nginx/nginx.conf:\n" + text));
            Assert.NotNull(config);
        });
    }
}
