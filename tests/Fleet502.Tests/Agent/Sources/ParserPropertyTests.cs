using System.Text;
using CsCheck;
using Fleet502.Agent.Commands;
using Fleet502.Agent.Sources.NginxAccessLog;
using Fleet502.Agent.Sources.NginxConfig;
using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Agent.Sources.OtherProxyLog;
using Fleet502.Agent.Sources.PhpFpmLog;
using Fleet502.Protos.V1;
using Fleet502.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Fleet502.Tests.Agent.Sources;

/// <summary>
/// Property tests (CsCheck): no input throws in any parser — random bytes, and real corpus lines cut and
/// corrupted at random — and the php-fpm coalescer's counts add up.
/// </summary>
public class ParserPropertyTests
{
    private static readonly LogFormat[] AccessFormats =
    [
        LogFormat.Parse("combined"),
        LogFormat.Parse("main"),
        LogFormat.Parse("""log_format json escape=json '{"time":"$time_iso8601","host":"$host","request":"$request","status":$status,"rt":$request_time,"upstream_addr":"$upstream_addr","upstream_status":"$upstream_status","urt":"$upstream_response_time","uht":"$upstream_header_time"}';"""),
        LogFormat.Parse("log_format upstreaminfo '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';"),
    ];

    private static readonly byte[][] Seeds = new[] { "nginx_error_lines.jsonl", "access_lines.jsonl", "php_fpm_lines.jsonl", "kernel_systemd_lines.jsonl", "other_proxy_lines.jsonl" }
        .SelectMany(Corpus.Load).Select(r => Encoding.UTF8.GetBytes(r.Line)).ToArray();

    // A real line cut at a random point with a few random bytes overwritten, or plain random bytes.
    private static readonly Gen<byte[]> Lines = Gen.OneOf(
        Gen.Byte.Array[0, 400],
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 100], Gen.Select(Gen.Int[0, 4096], Gen.Byte).Array[0, 4]).Select((seed, cut, flips) =>
        {
            var line = Seeds[seed][..(Seeds[seed].Length * cut / 100)];
            foreach (var (at, value) in flips)
            {
                if (line.Length > 0)
                {
                    line[at % line.Length] = value;
                }
            }

            return line;
        }));

    [Fact]
    public void No_line_throws_in_any_line_parser_or_classifier()
    {
        Lines.Sample(bytes =>
        {
            if (NginxErrorLineParser.TryParse(bytes, out var nginx))
            {
                _ = UpstreamErrorClassifier.Classify(nginx);
            }

            if (PhpFpmLineParser.TryParse(bytes, out var fpm))
            {
                _ = PhpFpmClassifier.Classify(fpm);
                _ = FpmLogCoalescer.KindOf(fpm);
            }

            if (Fleet502.Agent.Sources.KernelLog.KernelLineParser.TryParse(bytes, out var kernel))
            {
                _ = Fleet502.Agent.Sources.KernelLog.KernelClassifier.Classify(kernel);
            }

            if (ApacheErrorLineParser.TryParse(bytes, out var apache))
            {
                _ = ApacheErrorClassifier.Classify(apache);
            }

            if (HaproxyLineParser.TryParse(bytes, out var haproxy))
            {
                _ = HaproxyClassifier.Classify(haproxy);
            }

            if (AlbAccessLineParser.TryParse(bytes, out var alb))
            {
                _ = AlbAccessClassifier.Classify(alb);
            }

            foreach (var format in AccessFormats)
            {
                var ranges = new Range[format.Variables.Count + 1];
                if (format.TryMatch(bytes, ranges))
                {
                    _ = AccessLineClassifier.Classify(format, bytes, ranges);
                }
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Every_access_format_windows_any_line_and_counts_it_once()
    {
        Lines.Array[0, 40].Sample(lines =>
        {
            foreach (var format in AccessFormats)
            {
                var aggregator = new AccessWindowAggregator(format);
                foreach (var line in lines)
                {
                    aggregator.Add(line, 0);
                }

                aggregator.CloseAll();
                var closed = new List<ClosedAccessWindow>();
                aggregator.Drain(closed);
                Assert.Equal(lines.Length, aggregator.Lines);
                Assert.True(closed.Sum(w => (long)w.Window.Requests) <= lines.Length);
            }
        }, iter: 300);
    }

    [Fact]
    public void Log_format_definitions_either_compile_or_are_rejected_with_a_message()
    {
        Gen.String[Gen.Char["$_{}'\"; abcz\\ejsonpa=-[]"], 0, 80].Sample(definition =>
        {
            try
            {
                var format = LogFormat.Parse(definition);
                _ = format.TryMatch("1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 502 157"u8, new Range[format.Variables.Count + 1]);
            }
            catch (ArgumentException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }, iter: 5_000);
    }

    [Fact]
    public void The_nginx_minus_T_tokenizer_and_parser_never_throw()
    {
        var text = Gen.OneOf(
            Gen.String[Gen.Char["{};'\"#\\$ \n\tabcdefgh_/:.~^()*0123456789"], 0, 400],
            Gen.String[0, 200]);
        text.Sample(t =>
        {
            _ = ConfigTokenizer.Tokenize(t);
            _ = ConfigTokenizer.SplitFiles("# configuration file /etc/nginx/nginx.conf:\n" + t + "\n# configuration file /etc/nginx/conf.d/x.conf:\n" + t);
            _ = ProxyConfigExtractor.Extract(ConfigParser.Parse("# configuration file /etc/nginx/nginx.conf:\n" + t));
        }, iter: 5_000);
    }

    [Fact]
    public async Task Explain_answers_one_json_object_per_line_whatever_the_bytes()
    {
        await Lines.Array[1, 30].SampleAsync(async lines =>
        {
            // Lines without newlines inside: one input line each.
            var clean = lines.Select(l => l.Where(b => b != (byte)'\n').ToArray()).ToArray();
            var input = clean.SelectMany(l => l.Append((byte)'\n')).ToArray();
            using var output = new MemoryStream();

            Assert.Equal(0, await ExplainCommand.RunAsync(new MemoryStream(input), output, null, CancellationToken.None));

            var objects = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(clean.Length, objects.Length);
            Assert.All(objects, o => Assert.NotEqual(System.Text.Json.JsonValueKind.Undefined, System.Text.Json.JsonDocument.Parse(o).RootElement.GetProperty("kind").ValueKind));
        }, iter: 200);
    }

    [Fact]
    public void Fpm_coalesced_counts_add_up_whatever_the_order_timing_and_drains()
    {
        string[] templates =
        [
            "[24-Nov-2026 10:00:{0:00}] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
            "[24-Nov-2026 10:00:{0:00}] WARNING: [pool www] child {1} exited on signal 9 (SIGKILL) after 1.5 seconds from start",
            "[24-Nov-2026 10:00:{0:00}] WARNING: [pool api] child {1} exited on signal 15 (SIGTERM) after 2.0 seconds from start",
            "[24-Nov-2026 10:00:{0:00}] WARNING: [pool www] child {1}, script '/var/www/a.php' (request: \"GET /a.php\") executing too slow (5.1 sec), logging",
            "[24-Nov-2026 10:00:{0:00}] NOTICE: [pool www] child {1} started",
        ];
        Gen.Select(Gen.Int[0, templates.Length - 1], Gen.Int[0, 3], Gen.Bool, Gen.Int[1, 99999]).Array[0, 200].Sample(plan =>
        {
            var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
            var coalescer = new FpmLogCoalescer(TimeSpan.FromSeconds(1), time);
            var events = new List<Event>();
            var reported = 0;
            var second = 0;
            var offset = 0L;
            foreach (var (template, advance, drain, pid) in plan)
            {
                second = Math.Min(59, second + (advance == 3 ? 1 : 0));
                var raw = Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[template], second, pid));
                Assert.True(PhpFpmLineParser.TryParse(raw, out var line));
                if (coalescer.Add(line, raw, new LineOrigin("/var/log/php8.2-fpm.log", 1, 2, offset)))
                {
                    reported++;
                }

                offset += raw.Length + 1;
                if (drain)
                {
                    time.Advance(TimeSpan.FromMilliseconds(400));
                    coalescer.Drain(events);
                }
            }

            time.Advance(TimeSpan.FromSeconds(2));
            coalescer.Drain(events);
            Assert.Equal(reported, events.Sum(e => (long)e.FpmLog.Count));
            Assert.Equal(0, coalescer.PendingCount);
            Assert.All(events, e => Assert.True(e.FpmLog.LastTime.ToDateTime() >= e.FpmLog.FirstTime.ToDateTime()));
            // "child started" is context, never an event.
            Assert.DoesNotContain(events, e => e.FpmLog.Raw.Contains(" started", StringComparison.Ordinal));
        });
    }
}
